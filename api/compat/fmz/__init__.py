"""FMZ quant platform custom protocol: ``POST /fmz/<label>``."""
