# BERT Lab. Two set-up commands on a fresh Debian 12 machine: `make serve` and `make test`.
# Both install whatever is missing first (idempotent; a few seconds when everything is present).

.PHONY: serve test size tools browser-deps build

serve: tools
	trunk serve --release

test: tools browser-deps
	tests/harness/run-all.sh

size: tools
	tests/harness/size.sh

build: tools
	trunk build --release

tools:
	tests/harness/install-tools.sh

browser-deps:
	tests/harness/install-browser-deps.sh
