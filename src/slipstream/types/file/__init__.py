"""flytekit's ``flytekit.types.file`` names, so that ``from ....types.file import FlyteFile``
moves over with an import change."""

from typing import Any

from .._file import File

__all__ = [
    "CSVFile",
    "File",
    "FlyteFile",
    "HDF5EncodedFile",
    "HTMLPage",
    "JPEGImageFile",
    "JSONFile",
    "JoblibSerializedFile",
    "ONNXFile",
    "PDFFile",
    "PNGImageFile",
    "PythonNotebook",
    "PythonPickledFile",
    "SVGImageFile",
    "TFRecordFile",
]

FlyteFile = File
_File: Any = File  # formatted variants are made at run time
CSVFile = _File["csv"]
HDF5EncodedFile = _File["hdf5"]
HTMLPage = _File["html"]
JPEGImageFile = _File["jpeg"]
JSONFile = _File["json"]
JoblibSerializedFile = _File["joblib"]
ONNXFile = _File["onnx"]
PDFFile = _File["pdf"]
PNGImageFile = _File["png"]
PythonNotebook = _File["ipynb"]
PythonPickledFile = _File["python_pickle"]
SVGImageFile = _File["svg"]
TFRecordFile = _File["tfrecord"]
