"""The OpenAPI schema is what the committed snapshot says: serving an endpoint without DRF at
run time (core.fast_api) must leave its documented request, answers and errors unchanged.

A deliberate change of the API changes the snapshot in the same commit:
`DJANGO_DEBUG=True .venv/bin/python -m tests.core.test_api_schema_snapshot` writes it."""

import difflib
import json
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def schema_text() -> str:
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    with translation.override("en"):  # the snapshot's language, whatever the default
        raw = SchemaGenerator().get_schema(request=None, public=True)
        data = json.loads(OpenApiJsonRenderer().render(raw))
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_schema_is_the_committed_snapshot():
    current = schema_text()
    expected = SNAPSHOT.read_text()
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "snapshot",
                "generated",
                n=2,
            )
        )
        raise AssertionError(f"the OpenAPI schema changed:\n{diff[:6000]}")


def test_the_schema_does_not_keep_the_language_its_modules_were_imported_in():
    """A text translated at import (gettext where gettext_lazy belongs) would freeze the
    documentation in the language of the first request a worker served: a fresh process
    imports the API under French, then writes the schema in English."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup();"
        "from django.utils import translation; translation.activate('fr');"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "from tests.core.test_api_schema_snapshot import SNAPSHOT, schema_text;"
        "print(schema_text() == SNAPSHOT.read_text())"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip().splitlines()[-1:] == ["True"], done.stderr[-2000:]


if __name__ == "__main__":
    import os
    import sys

    import django

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    SNAPSHOT.write_text(schema_text())
