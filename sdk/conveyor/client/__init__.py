"""The one HTTP client of the SDK and its connection settings."""

from .api_client import ApiClient
from .login_file import LoginFile, conveyor_home, login_file_path
from .multipart import MultipartBody
from .settings import CheckoutState, Verbose
from .urls import DEFAULT_URL, api_base, normalise_root

__all__ = [
    "DEFAULT_URL",
    "ApiClient",
    "CheckoutState",
    "LoginFile",
    "MultipartBody",
    "Verbose",
    "api_base",
    "conveyor_home",
    "login_file_path",
    "normalise_root",
]
