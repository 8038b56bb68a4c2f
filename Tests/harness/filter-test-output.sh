#!/bin/bash
# Keeps `make test` readable: failures, skips and the summaries, not every passing case.
grep --line-buffered -E "error:|failed|skipped|Skipped|Executed|passed|Test Suite 'All tests'|warning: test|Fatal|Crash|note: " || true
