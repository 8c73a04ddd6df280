"""Figures of the study. Every function takes ``ax=None``, returns the axes and passes ``**kwargs`` on."""

__all__: list[str] = []
