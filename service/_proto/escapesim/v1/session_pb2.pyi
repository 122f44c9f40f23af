from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MeasurementModel(_message.Message):
    __slots__ = ("cv", "detection_limit")
    CV_FIELD_NUMBER: _ClassVar[int]
    DETECTION_LIMIT_FIELD_NUMBER: _ClassVar[int]
    cv: float
    detection_limit: float
    def __init__(self, cv: _Optional[float] = ..., detection_limit: _Optional[float] = ...) -> None: ...

class Observation(_message.Message):
    __slots__ = ("day", "burden", "detected", "effectors", "exposures")
    class EffectorsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ExposuresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    DAY_FIELD_NUMBER: _ClassVar[int]
    BURDEN_FIELD_NUMBER: _ClassVar[int]
    DETECTED_FIELD_NUMBER: _ClassVar[int]
    EFFECTORS_FIELD_NUMBER: _ClassVar[int]
    EXPOSURES_FIELD_NUMBER: _ClassVar[int]
    day: float
    burden: float
    detected: bool
    effectors: _containers.ScalarMap[str, float]
    exposures: _containers.ScalarMap[str, float]
    def __init__(self, day: _Optional[float] = ..., burden: _Optional[float] = ..., detected: _Optional[bool] = ..., effectors: _Optional[_Mapping[str, float]] = ..., exposures: _Optional[_Mapping[str, float]] = ...) -> None: ...

class SessionViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class SessionRefusal(_message.Message):
    __slots__ = ("message", "violations")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    message: str
    violations: _containers.RepeatedCompositeFieldContainer[SessionViolation]
    def __init__(self, message: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[SessionViolation, _Mapping]]] = ...) -> None: ...

class SessionToken(_message.Message):
    __slots__ = ("day", "token")
    DAY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    day: float
    token: bytes
    def __init__(self, day: _Optional[float] = ..., token: _Optional[bytes] = ...) -> None: ...
