"""The `addin` command line (`python -m addin`, the `addin` console script): it wires
the app, the job engine and the sandbox together and starts them.

The top of the tree: may import anything in addin."""
