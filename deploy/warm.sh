#!/bin/sh
# Pay newsbrief's one-off start-up cost that can be kept on disk, as the user the bot runs as:
# jieba builds its prefix dictionary (about a second) and caches it in $TMPDIR (else /tmp) as
# jieba.cache, which every later process loads instead. The section model and OpenCC are loaded
# once too — they are read per process, so this only proves they work in the image.
# The Dockerfile runs this at build time; tests/test_deploy.py runs it in CI.
#   sh deploy/warm.sh /opt/newsbrief
set -eu

venv="${1:?usage: warm.sh VENV_DIR}"
"$venv/bin/python" - <<'PY'
import time

started = time.perf_counter()
from bot.render.i18n import Translator
from bot.text import segmentation
from bot.text.sections import load_model

segmentation.load()
load_model()
assert Translator.for_language("zh-hk").article_text("台风") == "颱風"
print(f"newsbrief warmed in {time.perf_counter() - started:.1f} s")
PY
