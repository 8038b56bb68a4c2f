#!/bin/bash
# Prints the counts of the whole run: passed, failed, skipped (with the reasons).
LOG=${1:?usage: summary.sh TEST_LOG}
passed=$(grep -cE "^Test Case .* passed" "$LOG")
failed=$(grep -cE "^Test Case .* failed" "$LOG")
skipped=$(grep -cE "^Test Case .* skipped" "$LOG")
if [ "$skipped" -gt 0 ]; then
    echo "Skipped tests, and why:"
    grep -E ": error: -\[|Skipped|skipped:" "$LOG" | grep -i skip | sed 's/^/  /' | sort -u
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
