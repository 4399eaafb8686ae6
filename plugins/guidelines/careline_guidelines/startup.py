"""Start-up validation: bad configuration fails when the instance starts, not at the first reply."""

from __future__ import annotations

from careline.config import ConfigError, Settings

from careline_guidelines.config import SECTION, guidelines_config
from careline_guidelines.rendering import TemplateRenderError, check_syntax


def validate(settings: Settings) -> None:
    """Validate ``[guidelines]`` and compile every configured template."""
    config = guidelines_config(settings)
    for template_id, template in config.templates.items():
        try:
            check_syntax(template_id, template.body)
        except TemplateRenderError as exc:
            raise ConfigError(
                str(exc), path=settings.config_path, key=f"{SECTION}.templates.{template_id}.body"
            ) from None
