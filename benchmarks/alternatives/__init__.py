"""The alternatives lazyhook is measured against, each as its users set it up."""
