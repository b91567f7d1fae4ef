"""The composition root: one object holding the database and every service built on it."""

from __future__ import annotations

from dataclasses import dataclass

from ._auth import AuthService
from ._config import ServerConfig
from ._database import Database
from ._executions import (
    ExecutionControl,
    ExecutionData,
    ExecutionService,
    InputPolicy,
    LaunchService,
    UploadService,
)
from ._host import DbChildExecutions, PlaneService
from ._lineage import LineageService
from ._metrics import ExecutionCounts, Metrics
from ._projects import ProjectService, SettingsService
from ._registry import BundleStore, PromotionService, Registry
from ._scheduler import NotificationLog, ScheduleService

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    """Everything the API routes call; built once per server from its configuration."""

    config: ServerConfig
    db: Database
    projects: ProjectService
    settings: SettingsService
    bundles: BundleStore
    registry: Registry
    promotions: PromotionService
    executions: ExecutionService
    auth: AuthService
    launches: LaunchService
    control: ExecutionControl
    data: ExecutionData
    schedules: ScheduleService
    notifications: NotificationLog
    uploads: UploadService
    lineage: LineageService
    metrics: Metrics
    """What this server counts for ``GET /metrics`` (its parts count into it)."""
    planes: PlaneService
    """What the data planes of every cluster ask of the control plane (``/clusters/*/plane``)."""

    @classmethod
    def build(cls, config: ServerConfig, db: Database | None = None) -> Services:
        """Wire the services for ``config`` (the database is not migrated here)."""
        db = db or Database(config.db_url, config.db_timeout_s)
        projects = ProjectService(db, config.domains)
        settings = SettingsService(db, projects)
        bundles = BundleStore(
            db,
            config.store_url,
            config.home / "uploads",
            config.max_bundle_bytes,
            config.max_bundle_unpacked_bytes,
        )
        inputs = InputPolicy(config.store_url, settings)
        registry = Registry(db, projects, settings, bundles, config.protected_domains)
        metrics = Metrics(config.metrics)
        if config.metrics:
            metrics.registry.register(ExecutionCounts(db))
        launches = LaunchService(db, projects, registry, inputs)
        control = ExecutionControl(db, projects, inputs)
        children = DbChildExecutions(db, launches, control)
        return cls(
            config=config,
            db=db,
            projects=projects,
            settings=settings,
            bundles=bundles,
            registry=registry,
            promotions=PromotionService(db, projects, registry),
            executions=ExecutionService(db, projects),
            auth=AuthService(db, config.domains),
            launches=launches,
            control=control,
            data=ExecutionData(db, projects, config.store_url),
            lineage=LineageService(db, projects),
            schedules=ScheduleService(db, projects, registry),
            notifications=NotificationLog(db, projects),
            uploads=UploadService(
                db, projects, config.store_url, config.home / "uploads", config.max_upload_bytes
            ),
            metrics=metrics,
            planes=PlaneService(db, config.store_url, children),
        )
