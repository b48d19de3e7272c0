"""HDF5 attribute values as plain Python."""
import numpy as np


def to_python(value):
    """An HDF5 attribute as plain Python: str, int, float, bool or a list of them."""
    if value is None:
        return None
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [to_python(v) for v in value.tolist()] if value.ndim else to_python(value[()])
    if isinstance(value, np.generic):
        return value.item()
    return value


def attributes(obj):
    """Every attribute of an HDF5 object, in creation order where tracked."""
    return {key: to_python(value) for key, value in obj.attrs.items()}
