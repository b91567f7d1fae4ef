"""flytekit's ``flytekit.types.file`` names, so that ``from ....types.file import FlyteFile``
moves over with an import change."""

from ._file import File

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
]

FlyteFile = File
CSVFile = File["csv"]
HDF5EncodedFile = File["hdf5"]
HTMLPage = File["html"]
JPEGImageFile = File["jpeg"]
JSONFile = File["json"]
JoblibSerializedFile = File["joblib"]
ONNXFile = File["onnx"]
PDFFile = File["pdf"]
PNGImageFile = File["png"]
PythonNotebook = File["ipynb"]
PythonPickledFile = File["python_pickle"]
SVGImageFile = File["svg"]
