"""seig: executable inverse graphics by search over Blender scene programs."""

__version__ = "0.1.0"
