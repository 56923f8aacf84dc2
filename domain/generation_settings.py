"""Which video provider generates clips and how each remote one is reached (BEATSTITCH_*).

The API reads the default provider and which ones are configured; the worker reads the keys.
Keys are SecretStr: they print as '**********' and are handed only to the provider's client."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.generation.provider import ProviderSettings


class GenerationSettings(BaseSettings):
    """The provider settings of a deployment, the same in the API and the workers."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    # The provider of a request that names none.
    video_generation_provider: str = Field(default="local", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    runwayml_api_key: SecretStr = SecretStr("")
    runwayml_base_url: str = "https://api.dev.runwayml.com"
    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str = "https://api.openai.com/v1"
    pika_api_key: SecretStr = SecretStr("")
    pika_base_url: str = "https://queue.fal.run"
    custom_video_api_url: str = ""
    custom_video_api_key: SecretStr = SecretStr("")
    # Each provider's model when a request names none ("": the provider's documented default).
    runwayml_model: str = ""
    openai_video_model: str = ""
    pika_model: str = ""
    custom_video_api_model: str = ""
    # Every remote provider: each HTTP request's timeout, the tries after the first on a
    # 5xx, a timeout or a refused connection, and the wait before the first of them (doubling).
    video_api_request_timeout: float = Field(default=30.0, gt=0, le=600)
    video_api_retry_attempts: int = Field(default=3, ge=0, le=10)
    video_api_retry_delay: float = Field(default=2.0, ge=0, le=300)
    video_api_poll_interval: float = Field(default=2.0, gt=0, le=60)
    # A remote task whose status and progress stay the same this long has stalled.
    video_api_stall_timeout: float = Field(default=300.0, gt=0, le=3600)
    # The longest a remote task may take, however it moves.
    video_api_max_wait: float = Field(default=1800.0, gt=0, le=86400)
    video_api_max_output_mb: int = Field(default=512, ge=1, le=16384)

    def for_provider(self, name: str) -> ProviderSettings:
        """The settings one provider's client is made with."""
        key, url, model = {
            "runway": (self.runwayml_api_key, self.runwayml_base_url, self.runwayml_model),
            "openai": (self.openai_api_key, self.openai_base_url, self.openai_video_model),
            "pika": (self.pika_api_key, self.pika_base_url, self.pika_model),
            "custom": (
                self.custom_video_api_key,
                self.custom_video_api_url,
                self.custom_video_api_model,
            ),
        }.get(name, (SecretStr(""), "", ""))
        return ProviderSettings(
            api_key=key,
            base_url=url,
            request_timeout_s=self.video_api_request_timeout,
            retry_attempts=self.video_api_retry_attempts,
            retry_delay_s=self.video_api_retry_delay,
            poll_interval_s=self.video_api_poll_interval,
            stall_timeout_s=self.video_api_stall_timeout,
            max_wait_s=self.video_api_max_wait,
            max_output_bytes=self.video_api_max_output_mb * 1024 * 1024,
            model=model,
        )

    def configured(self, name: str) -> bool:
        """Whether a provider can be used: local always, a remote one with its key or URL."""
        if name == "local":
            return True
        if name == "custom":
            return bool(self.custom_video_api_url)
        return bool(self.for_provider(name).api_key.get_secret_value())
