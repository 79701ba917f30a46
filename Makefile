# Two commands set up everything on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: install ocr-tools index run serve test lint eval bench check-answers clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement could pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# OCR of scanned PDF pages needs Debian's Tesseract, Ghostscript and unpaper: installed when
# missing and run as root; otherwise said once, and the rest of the corpus indexes without OCR.
OCR_TOOLS := command -v tesseract >/dev/null && command -v gs >/dev/null && \
	command -v unpaper >/dev/null
OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng ghostscript unpaper
ocr-tools:
	@$(OCR_TOOLS) || [ "$$(id -u)" -ne 0 ] || \
		(apt-get update -qq && apt-get install -y -qq $(OCR_PACKAGES))
	@$(OCR_TOOLS) || echo "make: scanned PDF pages are skipped until OCR is installed:" \
		"sudo apt-get install $(OCR_PACKAGES)" >&2

install: $(STAMP) ocr-tools

index: install
	$(VENV)/bin/c5qa index

# The app builds or updates the index at start, then serves http://127.0.0.1:7860
run: install
	$(PY) app.py

serve: run

lint: install
	$(VENV)/bin/ruff check src tests bench app.py
	$(VENV)/bin/ruff format --check src tests bench app.py

# pytest exits 5 when it collects nothing: for this suite that is a failure, said plainly.
# The browser tests need Debian's Chromium: installed here when missing and run as root,
# otherwise a stop that says how (the tests fail without it, never skip).
test: lint
	@command -v chromium >/dev/null || [ "$$(id -u)" -ne 0 ] || \
		(apt-get update -qq && apt-get install -y -qq chromium)
	@command -v chromium >/dev/null || { echo "make test: Chromium is missing for the browser \
	tests; install it with: sudo apt-get install chromium" >&2; exit 1; }
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

# The question sets need the index of corpus/: built (or brought up to date) first.
eval: index
	$(VENV)/bin/c5qa eval eval/questions.jsonl
	$(VENV)/bin/c5qa eval eval/heldout.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout2.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout3.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout4.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout5.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout6.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout7.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout8.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/heldout9.jsonl --modes hybrid
	$(VENV)/bin/c5qa eval eval/answers.jsonl --modes hybrid

bench: index
	$(VENV)/bin/c5qa bench beir ../shared/beir/scifact
	$(PY) bench/rebuild.py
	$(PY) bench/scale.py
	$(PY) bench/startup.py
	$(VENV)/bin/c5qa bench load

# Every answer on the nine question sets, against the recorded eval/snapshot.jsonl: a change
# that should not change behaviour must print "0 differ" (python bench/answers.py save records
# a deliberate change, after reading what it changed).
check-answers: index
	$(PY) bench/answers.py check

clean:
	rm -rf $(VENV) index/gen-* index/.gen-* index/CURRENT index/.lock .pytest_cache .hypothesis
