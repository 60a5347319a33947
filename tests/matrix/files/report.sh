#!/bin/sh
echo "args=$*"
echo "user=$(id -un)"
