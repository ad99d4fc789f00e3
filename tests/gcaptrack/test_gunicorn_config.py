"""deploy/gunicorn.conf.py: what the web workers do once they have loaded the app."""

import gc
import runpy
from pathlib import Path

from django.conf import settings

CONFIG = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    config = runpy.run_path(str(CONFIG))
    assert config["worker_class"] == "gthread"
    loaded = [[n] for n in range(3)]  # alive at start-up, like the app's modules and settings
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > len(gc.get_objects(generation=2))
        walked = {id(o) for o in gc.get_objects()}  # what a full collection walks
        assert not any(id(o) in walked for o in loaded)
        made_later = [0]
        assert id(made_later) in {id(o) for o in gc.get_objects()}
    finally:
        gc.unfreeze()
