"""The demo property ("Hôtel Les Pins"): `manage.py seed_demo` loads each app's `demo.py` in
the order of the layering. It stands above every app (it names them all), owns no models and
is imported by none."""
