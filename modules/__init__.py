# mito built-in modules, served to targets as the package mito.modules.
