"""The control plane's REST API (routes only: validate -> call control/store -> return)."""
