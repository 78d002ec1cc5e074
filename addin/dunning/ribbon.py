"""The ribbon's entry point under the name the add-in's VBA calls (RunPython
"import dunning.ribbon; dunning.ribbon.run('<id>')"): see `dunning.excel.ribbon`."""

from dunning.excel.ribbon import run

__all__ = ["run"]
