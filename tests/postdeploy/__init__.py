"""The postdeploy acceptance tests (a package, so its conftest has its own module name)."""
