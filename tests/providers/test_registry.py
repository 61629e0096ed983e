"""Model strings, key lookup, and lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from afgap.errors import InputError, MissingKeyError, UnknownModelError
from afgap.providers import prefill
from afgap.providers.registry import api_key, bind_simulator, resolve, wire_format

SENTINEL = "sk-afgap-SENTINEL-registry-51c2"


@pytest.mark.parametrize(
    ("model", "provider", "api_model", "wire", "base_url", "key_var"),
    [
        (
            "openai/gpt-4o-2024-08-06",
            "openai",
            "gpt-4o-2024-08-06",
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
        ),
        (
            "anthropic/claude-3-opus-20240229",
            "anthropic",
            "claude-3-opus-20240229",
            "anthropic",
            "https://api.anthropic.com",
            "ANTHROPIC_API_KEY",
        ),
        (
            "openrouter/meta-llama/llama-3.1-405b-instruct",
            "openrouter",
            "meta-llama/llama-3.1-405b-instruct",
            "openai",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
        ),
        (
            "together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
            "together",
            "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
            "openai",
            "https://api.together.xyz/v1",
            "TOGETHER_API_KEY",
        ),
        (
            "google/gemini-2.0-flash",
            "google",
            "gemini-2.0-flash",
            "openai",
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "GEMINI_API_KEY",
        ),
        (
            "vllm/meta-llama/Llama-3.1-8B-Instruct",
            "vllm",
            "meta-llama/Llama-3.1-8B-Instruct",
            "openai",
            "http://localhost:8000/v1",
            "VLLM_API_KEY",
        ),
        ("ollama/llama3.1:8b", "ollama", "llama3.1:8b", "openai", "http://localhost:11434/v1", None),
    ],
)
def test_known_prefixes(
    model: str, provider: str, api_model: str, wire: str, base_url: str, key_var: str | None
) -> None:
    spec = resolve(model, {})
    assert (spec.model, spec.provider, spec.api_model, spec.wire) == (model, provider, api_model, wire)
    assert (spec.base_url, spec.key_var, spec.simulated) == (base_url, key_var, False)


def test_base_url_from_environment_without_trailing_slash() -> None:
    spec = resolve("openai/gpt-4o", {"OPENAI_BASE_URL": "http://proxy:9000/v1/"})
    assert (spec.base_url, spec.base_url_var) == ("http://proxy:9000/v1", "OPENAI_BASE_URL")


def test_openai_api_reads_name_variables() -> None:
    env = {"MY_LAB_BASE_URL": "http://10.0.0.2:8000/v1", "MY_LAB_API_KEY": SENTINEL}
    spec = resolve("openai-api/my-lab/org/model-7b", env)
    assert (spec.provider, spec.api_model, spec.base_url) == (
        "openai-api/my-lab",
        "org/model-7b",
        env["MY_LAB_BASE_URL"],
    )
    assert (spec.key_var, spec.base_url_var) == ("MY_LAB_API_KEY", "MY_LAB_BASE_URL")
    assert api_key(spec, env) == SENTINEL


def test_openai_api_needs_its_base_url() -> None:
    with pytest.raises(MissingKeyError, match="set LOCAL_BASE_URL"):
        resolve("openai-api/local/faker", {})


def test_sim_models_are_simulated_and_keyless() -> None:
    spec = resolve("sim/faker", {})
    assert (spec.provider, spec.api_model, spec.wire, spec.simulated, spec.key_var) == (
        "sim",
        "faker",
        "openai",
        True,
        None,
    )
    assert api_key(spec, {}) is None
    assert bind_simulator(spec, "http://127.0.0.1:5000/").base_url == "http://127.0.0.1:5000/v1"


@pytest.mark.parametrize(
    "model",
    ["gpt-4o", "nope/model", "openai/", "/gpt-4o", " openai/gpt-4o", "openai/gpt 4o", "openai-api/x", ""],
)
def test_malformed_or_unknown_model_strings(model: str) -> None:
    with pytest.raises(UnknownModelError) as caught:
        resolve(model, {})
    message = str(caught.value)
    assert repr(model) in message and "openai-api/<name>" in message and "\n" not in message


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(
        MissingKeyError, match=r"^no API key for anthropic/claude-3-opus: set ANTHROPIC_API_KEY$"
    ):
        api_key(resolve("anthropic/claude-3-opus", {}), {})


def test_empty_key_counts_as_missing() -> None:
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        api_key(resolve("openai/gpt-4o", {}), {"OPENAI_API_KEY": ""})


def test_optional_keys() -> None:
    assert api_key(resolve("vllm/m", {}), {}) is None
    assert api_key(resolve("vllm/m", {}), {"VLLM_API_KEY": SENTINEL}) == SENTINEL
    assert api_key(resolve("ollama/m", {}), {}) is None


def test_gemini_key_falls_back_to_google_api_key() -> None:
    env = {"GOOGLE_API_KEY": SENTINEL}
    spec = resolve("google/gemini-2.0-flash", env)
    assert spec.key_var == "GOOGLE_API_KEY" and api_key(spec, env) == SENTINEL
    with pytest.raises(MissingKeyError, match=r"set GEMINI_API_KEY \(or GOOGLE_API_KEY\)"):
        api_key(resolve("google/gemini-2.0-flash", {}), {})


def test_no_error_ever_contains_a_key_value() -> None:
    env = {"OPENAI_API_KEY": SENTINEL, "X_API_KEY": SENTINEL}
    messages = []
    for model in ["openai-api/x/m", "bad", "anthropic/c"]:
        try:
            api_key(resolve(model, env), env)
        except (MissingKeyError, UnknownModelError) as exc:
            messages.append(str(exc))
    assert len(messages) == 3 and not any(SENTINEL in m for m in messages)


def test_wire_format_by_spec() -> None:
    assert wire_format(resolve("anthropic/c", {})).url(resolve("anthropic/c", {})).endswith("/v1/messages")
    # Chat servers differ on prefill: the wire carries one, the provider decides (afgap.providers.prefill).
    assert prefill.chat_style(resolve("ollama/m", {})) is None
    assert (
        wire_format(resolve("completions/ollama/m", {}))
        .url(resolve("completions/ollama/m", {}))
        .endswith("/v1/completions")
    )


def test_registry_imports_nothing_heavy() -> None:
    code = (
        "import sys, afgap.providers.registry as r; r.resolve('openai/gpt-4o', {});"
        "heavy = [m for m in ('httpx', 'aiohttp', 'stamina', 'afgap.providers.openai') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("model", "env", "var"),
    [
        ("openai/gpt-4o", {"OPENAI_BASE_URL": "https://me:hunter2@proxy:9000/v1"}, "OPENAI_BASE_URL"),
        ("openai-api/my-lab/m", {"MY_LAB_BASE_URL": "http://me:hunter2@10.0.0.2/v1"}, "MY_LAB_BASE_URL"),
    ],
)
def test_credentials_in_a_base_url_are_refused_unechoed(model: str, env: dict[str, str], var: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve(model, env)
    message = f"{var} must not contain credentials (user:password@); put the key in the key variable"
    assert str(caught.value) == message
    assert "hunter2" not in str(caught.value)
