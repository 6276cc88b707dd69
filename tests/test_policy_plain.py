"""Start-up resolves a policy of plain names without ``_policy``: it must give exactly
what ``_policy.resolve`` gives, and hand everything else to it."""

import pytest

import lazyhook
from lazyhook import _policy

PLAIN = {
    "nothing set": {},
    "one name": {"LAZY_IMPORTS": "torch"},
    "names with spaces and semicolons": {"LAZY_IMPORTS": " torch ,transformers; numpy  scipy,"},
    "only separators": {"LAZY_IMPORTS": " , ;"},
    "the kill switch off": {"LAZY_IMPORTS": "torch", "LAZYHOOK_DISABLE": "0"},
    "a never-lazy and an own dependency": {"LAZY_IMPORTS": "seaborn,json,pandas"},
    "report file and directory": {"LAZY_IMPORTS": "torch", "LAZYHOOK_REPORT_FILE": "r.json",
                                  "LAZYHOOK_REPORT_DIR": "reports"},
}
NOT_PLAIN = {
    "a preset": {"LAZY_IMPORTS": "@ml"},
    "a submodule": {"LAZY_IMPORTS": "torch.nn"},
    "not a name": {"LAZY_IMPORTS": "torch-x"},
    "the kill switch on": {"LAZY_IMPORTS": "torch", "LAZYHOOK_DISABLE": "yes"},
    "a bad kill switch": {"LAZYHOOK_DISABLE": "maybe"},
    "a policy file": {"LAZYHOOK_POLICY": "policy.toml"},
    "a report kind": {"LAZYHOOK_REPORT": "summary"},
}
VARIABLES = ("LAZY_IMPORTS", "LAZYHOOK_DISABLE", "LAZYHOOK_POLICY", "LAZYHOOK_REPORT", "LAZYHOOK_REPORT_FILE",
             "LAZYHOOK_REPORT_DIR")


def as_dict(policy) -> dict:
    return vars(policy)


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    def set_to(values: dict) -> None:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_to


@pytest.mark.parametrize("case", PLAIN)
def test_plain_names_resolve_as_the_full_resolver_does(environment, case):
    environment(PLAIN[case])
    quick = lazyhook._resolve_plain()
    assert quick is not None
    assert as_dict(quick.finish()) == as_dict(_policy.resolve().finish())
    startup = lazyhook._resolve_plain(project_files=False)
    assert as_dict(startup.finish()) == as_dict(_policy.resolve(project_files=False).finish())


@pytest.mark.parametrize("table", [{"lazy": ["torch", "numpy"]}, {"lazy": []}])
def test_an_enabled_environments_plain_list_resolves_as_the_full_resolver_does(environment, table):
    environment({"LAZY_IMPORTS": "scipy"})
    kwargs = {"environment_policy": table, "environment_origin": "/venv/_lazyhook_env.py", "project_files": False}
    assert as_dict(lazyhook._resolve_plain(**kwargs).finish()) == as_dict(_policy.resolve(**kwargs).finish())


@pytest.mark.parametrize("case", NOT_PLAIN)
def test_anything_more_than_plain_names_goes_to_the_full_resolver(environment, case):
    environment(NOT_PLAIN[case])
    assert lazyhook._resolve_plain() is None


@pytest.mark.parametrize("filename", ["lazyhook.toml", "pyproject.toml"])
def test_a_project_file_goes_to_the_full_resolver_except_at_interpreter_start_up(environment, tmp_path, filename):
    environment({"LAZY_IMPORTS": "torch"})
    (tmp_path / filename).write_text("")
    assert lazyhook._resolve_plain() is None
    assert lazyhook._resolve_plain(project_files=False) is not None  # start-up never reads them


def test_an_environment_policy_with_more_than_plain_names_goes_to_the_full_resolver(environment):
    environment({})
    for table in ({"lazy": ["@ml"]}, {"lazy": ["torch"], "never-lazy": ["torch.distributed"]},
                  {"lazy": "torch"}):
        assert lazyhook._resolve_plain(environment_policy=table, project_files=False) is None
