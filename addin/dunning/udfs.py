"""The worksheet functions under the name Excel knows them by (xlwings' UDF Modules,
the add-in's wrappers): `dunning.excel.functions` is where they live."""

from dunning.excel.functions import *  # noqa: F403
