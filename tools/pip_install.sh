#!/usr/bin/env bash
# `pip install` for `make setup`, without one kind of noise that is not ours.
#
# A machine whose pip configuration names local package indexes holding only
# some packages (this workplace's machines do: /opt/pypi, /opt/pypi-more) makes
# pip print "Location 'file:///...' is ignored: it is neither a file nor a
# directory" once per package it does not find there. That says nothing about
# this project, so those lines are dropped; every other line pip prints,
# warnings included, shows, and pip's exit status is kept.
set -o pipefail
pip="$1"
shift
"$pip" -m pip install "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
