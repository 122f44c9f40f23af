from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Population(_message.Message):
    __slots__ = ("distributions", "correlations", "particles")
    DISTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    CORRELATIONS_FIELD_NUMBER: _ClassVar[int]
    PARTICLES_FIELD_NUMBER: _ClassVar[int]
    distributions: _containers.RepeatedCompositeFieldContainer[ParameterDistribution]
    correlations: _containers.RepeatedCompositeFieldContainer[Correlation]
    particles: Particles
    def __init__(self, distributions: _Optional[_Iterable[_Union[ParameterDistribution, _Mapping]]] = ..., correlations: _Optional[_Iterable[_Union[Correlation, _Mapping]]] = ..., particles: _Optional[_Union[Particles, _Mapping]] = ...) -> None: ...

class ParameterDistribution(_message.Message):
    __slots__ = ("parameter", "kind", "arguments")
    class ArgumentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    kind: str
    arguments: _containers.ScalarMap[str, float]
    def __init__(self, parameter: _Optional[str] = ..., kind: _Optional[str] = ..., arguments: _Optional[_Mapping[str, float]] = ...) -> None: ...

class Correlation(_message.Message):
    __slots__ = ("first", "second", "rho")
    FIRST_FIELD_NUMBER: _ClassVar[int]
    SECOND_FIELD_NUMBER: _ClassVar[int]
    RHO_FIELD_NUMBER: _ClassVar[int]
    first: str
    second: str
    rho: float
    def __init__(self, first: _Optional[str] = ..., second: _Optional[str] = ..., rho: _Optional[float] = ...) -> None: ...

class Particles(_message.Message):
    __slots__ = ("parameters", "values", "weights")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedScalarFieldContainer[float]
    weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, parameters: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[float]] = ..., weights: _Optional[_Iterable[float]] = ...) -> None: ...
