"""Production serves static files from collectstatic's manifest: every file must collect, or
the deploy fails (a vendored library's source-map comment naming a file we do not ship did)."""

from django.core.management import call_command


def test_every_static_file_collects_into_the_production_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/chart-4.6.1.umd.min.*.js"))
