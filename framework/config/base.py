"""Base of every config model: frozen, unknown keys refused."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializationInfo, SerializerFunctionWrapHandler, model_serializer


class ConfigModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class QuietDefaultsModel(ConfigModel):
    """A section with keys added after runs were recorded (``QUIET``): each is echoed (the
    journal's and summary.json's copy of the config) only when set away from its default, so a
    run that does not use it echoes its config byte for byte as before the key existed.
    ``model_dump(context={"every_key": True})`` dumps them all (the shipped-YAML check)."""

    QUIET: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _quiet_defaults(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        data = handler(self)
        if info.context and info.context.get("every_key"):
            return data
        fields = type(self).model_fields
        for name in self.QUIET:
            if getattr(self, name) == fields[name].default:
                data.pop(name, None)
        return data
