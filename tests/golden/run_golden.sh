#!/usr/bin/env bash
# STUB (to be replaced): runs the CLI against tests/golden.
exit 0
