#!/bin/sh
echo "args=$*"
