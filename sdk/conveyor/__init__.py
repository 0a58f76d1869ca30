"""Conveyor SDK: ``import conveyor as dl`` — the dtlpy-compatible client of a Conveyor server.

Nothing is read or sent at import time: the server URL and token are resolved on the
first request (``dl.setenv``/``dl.login_token`` > ``CONVEYOR_URL``/``CONVEYOR_TOKEN`` >
``$CONVEYOR_HOME/login.json`` written by ``conveyor up``).
"""

from __future__ import annotations

import logging
import sys

__version__ = "0.1.0"

from . import exceptions  # noqa: E402 - after __version__, which the client reads
from .client import ApiClient  # noqa: E402
from .entities import (  # noqa: E402
    BaseEntity,
    Bot,
    Command,
    CommandsStatus,
    Dataset,
    DirectoryTree,
    ExpirationOptions,
    ExportMetadata,
    IndexDriver,
    Item,
    ItemStatus,
    MemberRole,
    PagedEntities,
    Project,
    SingleDirectory,
    User,
)
from .exceptions import ConveyorError, PlatformException  # noqa: E402
from .repositories import Bots, Commands, Datasets, Items, Projects, Users  # noqa: E402

logging.getLogger("conveyor").addHandler(logging.NullHandler())

#: the process-wide client every module-level repository uses
client_api = ApiClient()
#: output switches, e.g. ``dl.verbose.disable_progress_bar = True``
verbose = client_api.verbose

projects = Projects(client_api=client_api)
datasets = Datasets(client_api=client_api)
items = Items(client_api=client_api)
commands = Commands(client_api=client_api)
users = Users(client_api=client_api)


def setenv(url: str) -> None:
    """Use the Conveyor server at ``url`` (root or ``.../api/v1``); see ``ApiClient.setenv``."""
    client_api.setenv(url)


def login_token(token: str) -> bool:
    """Use ``token`` after checking it with ``GET /users/me``; see ``ApiClient.login_token``."""
    return client_api.login_token(token)


def login(email: str, password: str) -> bool:
    """Log in with e-mail and password (``POST <root>/token``); see ``ApiClient.login``."""
    return client_api.login(email, password)


def login_m2m(
    email: str,
    password: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    force: bool = False,
) -> bool:
    """Machine login; reuses a valid token of the same user; see ``ApiClient.login_m2m``."""
    return client_api.login_m2m(
        email, password, client_id=client_id, client_secret=client_secret, force=force
    )


def logout() -> bool:
    """Forget every token in this process; see ``ApiClient.logout``."""
    return client_api.logout()


def info(with_token: bool = True) -> dict:
    """``{environment, user_email[, token]}`` of the current connection; sends no request."""
    return client_api.info(with_token=with_token)


def token_expired() -> bool:
    """True without a token or when it is within 60 s of ``exp``; sends no request."""
    return client_api.token_expired()


def token() -> str | None:
    """The current token (dtlpy's ``dl.token()``), or None."""
    return client_api.token


__all__ = [
    "ApiClient",
    "BaseEntity",
    "Bot",
    "Bots",
    "Command",
    "Commands",
    "CommandsStatus",
    "ConveyorError",
    "Dataset",
    "Datasets",
    "DirectoryTree",
    "ExpirationOptions",
    "ExportMetadata",
    "IndexDriver",
    "Item",
    "ItemStatus",
    "Items",
    "MemberRole",
    "PagedEntities",
    "PlatformException",
    "Project",
    "Projects",
    "SingleDirectory",
    "User",
    "Users",
    "client_api",
    "commands",
    "datasets",
    "exceptions",
    "info",
    "items",
    "login",
    "login_m2m",
    "login_token",
    "logout",
    "projects",
    "setenv",
    "token",
    "token_expired",
    "users",
    "verbose",
]


# ---------------------------------------------------------------------------------------
# Names owned by the annotations/filters work (conveyor.entities.filters,
# conveyor.annotations, conveyor.repositories.annotations), re-exported in one block.
from .annotations import (  # noqa: E402
    Annotation,
    AnnotationCollection,
    AnnotationStatus,
    AnnotationType,
    BaseAnnotationDefinition,
    Box,
    Classification,
    Cube,
    Description,
    Ellipse,
    ExportVersion,
    FrameAnnotation,
    Message,
    Note,
    Point,
    Polygon,
    Polyline,
    Pose,
    Segmentation,
    Subtitle,
    UndefinedAnnotationType,
    ViewAnnotationOptions,
)
from .entities.filters import (  # noqa: E402
    Filters,
    FiltersKnownFields,
    FiltersMethod,
    FiltersOperations,
    FiltersOrderByDirection,
    FiltersResource,
)
from .repositories.annotations import Annotations  # noqa: E402


class _AnnotationsEntry(Annotations):
    """``dl.annotations``: the Annotations repository, which also shadows the package name.

    ``conveyor.annotations`` is both this singleton (dtlpy's ``dl.annotations``) and a
    subpackage; attributes the repository lacks are looked up in the package, so
    ``import conveyor.annotations.enums as enums`` and ``dl.annotations.Box`` still work.
    """

    def __getattr__(self, name: str):
        package = sys.modules.get(f"{__name__}.annotations")
        if name.startswith("__") or package is None or package is self:
            raise AttributeError(name)
        try:
            return getattr(package, name)
        except AttributeError:
            raise AttributeError(f"'Annotations' object has no attribute {name!r}") from None


# bound after the package import above, which set the attribute to the package module
annotations = _AnnotationsEntry(client_api=client_api)

__all__ += [
    "Annotation",
    "AnnotationCollection",
    "AnnotationStatus",
    "AnnotationType",
    "Annotations",
    "BaseAnnotationDefinition",
    "Box",
    "Classification",
    "Cube",
    "Description",
    "Ellipse",
    "ExportVersion",
    "Filters",
    "FiltersKnownFields",
    "FiltersMethod",
    "FiltersOperations",
    "FiltersOrderByDirection",
    "FiltersResource",
    "FrameAnnotation",
    "Message",
    "Note",
    "Point",
    "Polygon",
    "Polyline",
    "Pose",
    "Segmentation",
    "Subtitle",
    "UndefinedAnnotationType",
    "ViewAnnotationOptions",
    "annotations",
]


# ---------------------------------------------------------------------------------------
# Names owned by the FaaS work (packages, services, executions, the user-code runtime),
# re-exported in one block; `project.packages/services/executions/codebases` are attached.
from .entities.codebase import (  # noqa: E402
    Codebase,
    FilesystemCodebase,
    GitCodebase,
    ItemCodebase,
    LocalCodebase,
    PackageCodebaseType,
)
from .entities.execution import Execution, ExecutionStatus  # noqa: E402
from .entities.package import Package, PackageRequirement, RequirementOperator  # noqa: E402
from .entities.package_function import (  # noqa: E402
    FunctionIO,
    PackageFunction,
    PackageInputType,
)
from .entities.package_module import PackageModule  # noqa: E402
from .entities.package_slot import (  # noqa: E402
    PackageSlot,
    SlotDisplayScope,
    SlotDisplayScopeResource,
    SlotPostAction,
    SlotPostActionType,
    UiBindingPanel,
)
from .entities.runtime import (  # noqa: E402
    InstanceCatalog,
    KubernetesAutoscaler,
    KubernetesAutoscalerType,
    KubernetesAutuscalerType,
    KubernetesRabbitmqAutoscaler,
    KubernetesRPSAutoscaler,
    KubernetesRuntime,
    OnResetAction,
    RuntimeType,
    ServiceModeType,
    ServiceRuntime,
    ServiceScope,
    ServiceType,
)
from .entities.service import Service  # noqa: E402
from .entities.service_log import ServiceLog  # noqa: E402
from .repositories.codebases import Codebases  # noqa: E402
from .repositories.executions import Executions  # noqa: E402
from .repositories.packages import Packages  # noqa: E402
from .repositories.services import Services  # noqa: E402
from .runtime import (  # noqa: E402
    BaseServiceRunner,
    Context,
    ExecutionEventContext,
    ItemStatusEvent,
    Progress,
)

Project.attach_repository("packages", lambda p: Packages(p.client_api, project=p))
Project.attach_repository("services", lambda p: Services(p.client_api, project=p))
Project.attach_repository("executions", lambda p: Executions(p.client_api, project=p))
Project.attach_repository("codebases", lambda p: Codebases(p.client_api, project=p))

packages = Packages(client_api=client_api)
services = Services(client_api=client_api)
executions = Executions(client_api=client_api)

__all__ += [
    "BaseServiceRunner",
    "Codebase",
    "Codebases",
    "Context",
    "Execution",
    "ExecutionEventContext",
    "ExecutionStatus",
    "Executions",
    "FilesystemCodebase",
    "FunctionIO",
    "GitCodebase",
    "InstanceCatalog",
    "ItemCodebase",
    "ItemStatusEvent",
    "KubernetesAutoscaler",
    "KubernetesAutoscalerType",
    "KubernetesAutuscalerType",
    "KubernetesRPSAutoscaler",
    "KubernetesRabbitmqAutoscaler",
    "KubernetesRuntime",
    "LocalCodebase",
    "OnResetAction",
    "Package",
    "PackageCodebaseType",
    "PackageFunction",
    "PackageInputType",
    "PackageModule",
    "PackageRequirement",
    "PackageSlot",
    "Packages",
    "Progress",
    "RequirementOperator",
    "RuntimeType",
    "Service",
    "ServiceLog",
    "ServiceModeType",
    "ServiceRuntime",
    "ServiceScope",
    "ServiceType",
    "Services",
    "SlotDisplayScope",
    "SlotDisplayScopeResource",
    "SlotPostAction",
    "SlotPostActionType",
    "UiBindingPanel",
    "executions",
    "packages",
    "services",
]


# ---------------------------------------------------------------------------------------
# Names owned by the triggers work (event and cron triggers), re-exported in one block;
# `project.triggers` and `service.triggers` are attached.
from .entities.trigger import (  # noqa: E402
    BaseTrigger,
    CronTrigger,
    Trigger,
    TriggerAction,
    TriggerExecutionMode,
    TriggerResource,
    TriggerType,
)
from .repositories.triggers import Triggers  # noqa: E402

Project.attach_repository("triggers", lambda p: Triggers(p.client_api, project=p))
Service.attach_repository("triggers", lambda s: Triggers(s.client_api, project=s.project,
                                                         service=s))

triggers = Triggers(client_api=client_api)

__all__ += [
    "BaseTrigger",
    "CronTrigger",
    "Trigger",
    "TriggerAction",
    "TriggerExecutionMode",
    "TriggerResource",
    "TriggerType",
    "Triggers",
    "triggers",
]
