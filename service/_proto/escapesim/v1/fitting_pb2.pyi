from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Prior(_message.Message):
    __slots__ = ("parameter", "kind", "low", "high", "mean", "sd")
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SD_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    kind: str
    low: float
    high: float
    mean: float
    sd: float
    def __init__(self, parameter: _Optional[str] = ..., kind: _Optional[str] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., mean: _Optional[float] = ..., sd: _Optional[float] = ...) -> None: ...

class Measurement(_message.Message):
    __slots__ = ("observable_id", "simulation_condition_id", "time", "measurement", "noise_sd", "replicate_id")
    OBSERVABLE_ID_FIELD_NUMBER: _ClassVar[int]
    SIMULATION_CONDITION_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    MEASUREMENT_FIELD_NUMBER: _ClassVar[int]
    NOISE_SD_FIELD_NUMBER: _ClassVar[int]
    REPLICATE_ID_FIELD_NUMBER: _ClassVar[int]
    observable_id: str
    simulation_condition_id: str
    time: float
    measurement: float
    noise_sd: float
    replicate_id: str
    def __init__(self, observable_id: _Optional[str] = ..., simulation_condition_id: _Optional[str] = ..., time: _Optional[float] = ..., measurement: _Optional[float] = ..., noise_sd: _Optional[float] = ..., replicate_id: _Optional[str] = ...) -> None: ...

class Stopping(_message.Message):
    __slots__ = ("epsilon", "generations", "simulations", "epsilons")
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    SIMULATIONS_FIELD_NUMBER: _ClassVar[int]
    EPSILONS_FIELD_NUMBER: _ClassVar[int]
    epsilon: float
    generations: int
    simulations: int
    epsilons: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, epsilon: _Optional[float] = ..., generations: _Optional[int] = ..., simulations: _Optional[int] = ..., epsilons: _Optional[_Iterable[float]] = ...) -> None: ...

class SensitivityFactor(_message.Message):
    __slots__ = ("parameter", "low", "high", "log")
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    low: float
    high: float
    log: bool
    def __init__(self, parameter: _Optional[str] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., log: _Optional[bool] = ...) -> None: ...

class OutcomeQuantity(_message.Message):
    __slots__ = ("kind", "day")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    kind: str
    day: float
    def __init__(self, kind: _Optional[str] = ..., day: _Optional[float] = ...) -> None: ...
