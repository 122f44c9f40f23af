import datetime

from escapesim.v1 import fitting_pb2 as _fitting_pb2
from escapesim.v1 import population_pb2 as _population_pb2
from escapesim.v1 import session_pb2 as _session_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_QUEUED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_PERSISTING: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]
    RUN_STATE_CANCELLED: _ClassVar[RunState]

class ResultTable(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESULT_TABLE_UNSPECIFIED: _ClassVar[ResultTable]
    RESULT_TABLE_TRAJECTORIES: _ClassVar[ResultTable]
    RESULT_TABLE_REPLICATES: _ClassVar[ResultTable]

class ResultFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESULT_FORMAT_UNSPECIFIED: _ClassVar[ResultFormat]
    RESULT_FORMAT_ARROW: _ClassVar[ResultFormat]
    RESULT_FORMAT_JSON: _ClassVar[ResultFormat]
    RESULT_FORMAT_CSV: _ClassVar[ResultFormat]

class OutcomeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_KIND_UNSPECIFIED: _ClassVar[OutcomeKind]
    OUTCOME_KIND_ELIMINATION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_EQUILIBRIUM: _ClassVar[OutcomeKind]
    OUTCOME_KIND_ESCAPE: _ClassVar[OutcomeKind]

class StateVariableRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATE_VARIABLE_ROLE_UNSPECIFIED: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_TUMOUR: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_EFFECTOR: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_PRIMING: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_SUPPRESSOR: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_SIGNAL: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_DRUG: _ClassVar[StateVariableRole]
    STATE_VARIABLE_ROLE_OTHER: _ClassVar[StateVariableRole]

class EnsembleResultTable(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENSEMBLE_RESULT_TABLE_UNSPECIFIED: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_TRAJECTORIES: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_REPLICATES: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_OUTCOMES: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_BANDS: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_SUMMARY: _ClassVar[EnsembleResultTable]
    ENSEMBLE_RESULT_TABLE_ATTRIBUTION: _ClassVar[EnsembleResultTable]

class AnalysisResultTable(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANALYSIS_RESULT_TABLE_UNSPECIFIED: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_PARTICLES: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_GENERATIONS: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_PREDICTIVE: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_DESIGN: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_INDICES: _ClassVar[AnalysisResultTable]
    ANALYSIS_RESULT_TABLE_SUMMARY: _ClassVar[AnalysisResultTable]
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_QUEUED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_PERSISTING: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_FAILED: RunState
RUN_STATE_CANCELLED: RunState
RESULT_TABLE_UNSPECIFIED: ResultTable
RESULT_TABLE_TRAJECTORIES: ResultTable
RESULT_TABLE_REPLICATES: ResultTable
RESULT_FORMAT_UNSPECIFIED: ResultFormat
RESULT_FORMAT_ARROW: ResultFormat
RESULT_FORMAT_JSON: ResultFormat
RESULT_FORMAT_CSV: ResultFormat
OUTCOME_KIND_UNSPECIFIED: OutcomeKind
OUTCOME_KIND_ELIMINATION: OutcomeKind
OUTCOME_KIND_EQUILIBRIUM: OutcomeKind
OUTCOME_KIND_ESCAPE: OutcomeKind
STATE_VARIABLE_ROLE_UNSPECIFIED: StateVariableRole
STATE_VARIABLE_ROLE_TUMOUR: StateVariableRole
STATE_VARIABLE_ROLE_EFFECTOR: StateVariableRole
STATE_VARIABLE_ROLE_PRIMING: StateVariableRole
STATE_VARIABLE_ROLE_SUPPRESSOR: StateVariableRole
STATE_VARIABLE_ROLE_SIGNAL: StateVariableRole
STATE_VARIABLE_ROLE_DRUG: StateVariableRole
STATE_VARIABLE_ROLE_OTHER: StateVariableRole
ENSEMBLE_RESULT_TABLE_UNSPECIFIED: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_TRAJECTORIES: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_REPLICATES: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_OUTCOMES: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_BANDS: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_SUMMARY: EnsembleResultTable
ENSEMBLE_RESULT_TABLE_ATTRIBUTION: EnsembleResultTable
ANALYSIS_RESULT_TABLE_UNSPECIFIED: AnalysisResultTable
ANALYSIS_RESULT_TABLE_PARTICLES: AnalysisResultTable
ANALYSIS_RESULT_TABLE_GENERATIONS: AnalysisResultTable
ANALYSIS_RESULT_TABLE_PREDICTIVE: AnalysisResultTable
ANALYSIS_RESULT_TABLE_DESIGN: AnalysisResultTable
ANALYSIS_RESULT_TABLE_INDICES: AnalysisResultTable
ANALYSIS_RESULT_TABLE_SUMMARY: AnalysisResultTable

class Scenario(_message.Message):
    __slots__ = ("preset", "parameters", "initial", "mechanisms", "therapies", "horizon_days", "interval_days", "seed", "replicates", "escape_threshold", "exact", "checkpoint_days", "sbml", "profile", "stop_at_outcome", "sample_days", "population")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class InitialEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MechanismsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    PRESET_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    MECHANISMS_FIELD_NUMBER: _ClassVar[int]
    THERAPIES_FIELD_NUMBER: _ClassVar[int]
    HORIZON_DAYS_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_FIELD_NUMBER: _ClassVar[int]
    ESCAPE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_DAYS_FIELD_NUMBER: _ClassVar[int]
    SBML_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    STOP_AT_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_DAYS_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    preset: str
    parameters: _containers.ScalarMap[str, float]
    initial: _containers.ScalarMap[str, float]
    mechanisms: _containers.ScalarMap[str, bool]
    therapies: _containers.RepeatedCompositeFieldContainer[Therapy]
    horizon_days: float
    interval_days: float
    seed: int
    replicates: int
    escape_threshold: float
    exact: bool
    checkpoint_days: _containers.RepeatedScalarFieldContainer[float]
    sbml: str
    profile: str
    stop_at_outcome: bool
    sample_days: _containers.RepeatedScalarFieldContainer[float]
    population: _population_pb2.Population
    def __init__(self, preset: _Optional[str] = ..., parameters: _Optional[_Mapping[str, float]] = ..., initial: _Optional[_Mapping[str, float]] = ..., mechanisms: _Optional[_Mapping[str, bool]] = ..., therapies: _Optional[_Iterable[_Union[Therapy, _Mapping]]] = ..., horizon_days: _Optional[float] = ..., interval_days: _Optional[float] = ..., seed: _Optional[int] = ..., replicates: _Optional[int] = ..., escape_threshold: _Optional[float] = ..., exact: _Optional[bool] = ..., checkpoint_days: _Optional[_Iterable[float]] = ..., sbml: _Optional[str] = ..., profile: _Optional[str] = ..., stop_at_outcome: _Optional[bool] = ..., sample_days: _Optional[_Iterable[float]] = ..., population: _Optional[_Union[_population_pb2.Population, _Mapping]] = ...) -> None: ...

class Therapy(_message.Message):
    __slots__ = ("kind", "at_days", "dose", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    AT_DAYS_FIELD_NUMBER: _ClassVar[int]
    DOSE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    at_days: _containers.RepeatedScalarFieldContainer[float]
    dose: float
    parameters: _containers.ScalarMap[str, float]
    def __init__(self, kind: _Optional[str] = ..., at_days: _Optional[_Iterable[float]] = ..., dose: _Optional[float] = ..., parameters: _Optional[_Mapping[str, float]] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("run_id", "request_id", "state", "scenario", "create_time", "update_time", "replicates_total", "replicates_done", "simulated_day", "error", "partial", "first_replicate", "outcomes", "forked_from")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_DONE_FIELD_NUMBER: _ClassVar[int]
    SIMULATED_DAY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPLICATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    FORKED_FROM_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    request_id: str
    state: RunState
    scenario: Scenario
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    replicates_total: int
    replicates_done: int
    simulated_day: float
    error: str
    partial: bool
    first_replicate: int
    outcomes: OutcomeTally
    forked_from: RunFork
    def __init__(self, run_id: _Optional[str] = ..., request_id: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., scenario: _Optional[_Union[Scenario, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replicates_total: _Optional[int] = ..., replicates_done: _Optional[int] = ..., simulated_day: _Optional[float] = ..., error: _Optional[str] = ..., partial: _Optional[bool] = ..., first_replicate: _Optional[int] = ..., outcomes: _Optional[_Union[OutcomeTally, _Mapping]] = ..., forked_from: _Optional[_Union[RunFork, _Mapping]] = ...) -> None: ...

class RunFork(_message.Message):
    __slots__ = ("run_id", "replicate", "day", "arm")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    replicate: int
    day: float
    arm: str
    def __init__(self, run_id: _Optional[str] = ..., replicate: _Optional[int] = ..., day: _Optional[float] = ..., arm: _Optional[str] = ...) -> None: ...

class OutcomeTally(_message.Message):
    __slots__ = ("escape", "elimination", "equilibrium")
    ESCAPE_FIELD_NUMBER: _ClassVar[int]
    ELIMINATION_FIELD_NUMBER: _ClassVar[int]
    EQUILIBRIUM_FIELD_NUMBER: _ClassVar[int]
    escape: int
    elimination: int
    equilibrium: int
    def __init__(self, escape: _Optional[int] = ..., elimination: _Optional[int] = ..., equilibrium: _Optional[int] = ...) -> None: ...

class CreateRunRequest(_message.Message):
    __slots__ = ("scenario", "request_id", "first_replicate")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPLICATE_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    request_id: str
    first_replicate: int
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., request_id: _Optional[str] = ..., first_replicate: _Optional[int] = ...) -> None: ...

class CreateRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class GetRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: RunState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[Run]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[Run, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class WatchRunRequest(_message.Message):
    __slots__ = ("run_id", "after_sequence")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    after_sequence: int
    def __init__(self, run_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchRunResponse(_message.Message):
    __slots__ = ("sequence", "run")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    run: Run
    def __init__(self, sequence: _Optional[int] = ..., run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class StreamResultsRequest(_message.Message):
    __slots__ = ("run_id", "tables", "format")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    tables: _containers.RepeatedScalarFieldContainer[ResultTable]
    format: ResultFormat
    def __init__(self, run_id: _Optional[str] = ..., tables: _Optional[_Iterable[_Union[ResultTable, str]]] = ..., format: _Optional[_Union[ResultFormat, str]] = ...) -> None: ...

class StreamResultsResponse(_message.Message):
    __slots__ = ("table", "arrow_ipc", "rows", "partial", "text")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ARROW_IPC_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    table: ResultTable
    arrow_ipc: bytes
    rows: int
    partial: bool
    text: str
    def __init__(self, table: _Optional[_Union[ResultTable, str]] = ..., arrow_ipc: _Optional[bytes] = ..., rows: _Optional[int] = ..., partial: _Optional[bool] = ..., text: _Optional[str] = ...) -> None: ...

class SimulateRequest(_message.Message):
    __slots__ = ("scenario",)
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ...) -> None: ...

class SimulateResponse(_message.Message):
    __slots__ = ("frame", "summary")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    frame: Frame
    summary: ReplicateSummary
    def __init__(self, frame: _Optional[_Union[Frame, _Mapping]] = ..., summary: _Optional[_Union[ReplicateSummary, _Mapping]] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("replicate", "t", "values")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    T_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    replicate: int
    t: float
    values: _containers.ScalarMap[str, float]
    def __init__(self, replicate: _Optional[int] = ..., t: _Optional[float] = ..., values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ReplicateSummary(_message.Message):
    __slots__ = ("replicate", "outcome", "outcome_day", "counters", "final_values")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class FinalValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_DAY_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    FINAL_VALUES_FIELD_NUMBER: _ClassVar[int]
    replicate: int
    outcome: OutcomeKind
    outcome_day: float
    counters: _containers.ScalarMap[str, int]
    final_values: _containers.ScalarMap[str, float]
    def __init__(self, replicate: _Optional[int] = ..., outcome: _Optional[_Union[OutcomeKind, str]] = ..., outcome_day: _Optional[float] = ..., counters: _Optional[_Mapping[str, int]] = ..., final_values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ValidateScenarioRequest(_message.Message):
    __slots__ = ("scenario",)
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ...) -> None: ...

class ValidateScenarioResponse(_message.Message):
    __slots__ = ("scenario", "samples")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    samples: int
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., samples: _Optional[int] = ...) -> None: ...

class ListPresetsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPresetsResponse(_message.Message):
    __slots__ = ("presets",)
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    presets: _containers.RepeatedCompositeFieldContainer[Preset]
    def __init__(self, presets: _Optional[_Iterable[_Union[Preset, _Mapping]]] = ...) -> None: ...

class Preset(_message.Message):
    __slots__ = ("name", "title", "citation", "species", "levels", "parameters", "mechanisms", "therapies", "profiles")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CITATION_FIELD_NUMBER: _ClassVar[int]
    SPECIES_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    MECHANISMS_FIELD_NUMBER: _ClassVar[int]
    THERAPIES_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    citation: str
    species: _containers.RepeatedCompositeFieldContainer[StateVariableSpec]
    levels: _containers.RepeatedCompositeFieldContainer[StateVariableSpec]
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterSpec]
    mechanisms: _containers.RepeatedCompositeFieldContainer[MechanismSpec]
    therapies: _containers.RepeatedCompositeFieldContainer[TherapySpec]
    profiles: _containers.RepeatedCompositeFieldContainer[ProfileSpec]
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., citation: _Optional[str] = ..., species: _Optional[_Iterable[_Union[StateVariableSpec, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[StateVariableSpec, _Mapping]]] = ..., parameters: _Optional[_Iterable[_Union[ParameterSpec, _Mapping]]] = ..., mechanisms: _Optional[_Iterable[_Union[MechanismSpec, _Mapping]]] = ..., therapies: _Optional[_Iterable[_Union[TherapySpec, _Mapping]]] = ..., profiles: _Optional[_Iterable[_Union[ProfileSpec, _Mapping]]] = ...) -> None: ...

class ProfileSpec(_message.Message):
    __slots__ = ("name", "description", "values")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    values: _containers.ScalarMap[str, float]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class StateVariableSpec(_message.Message):
    __slots__ = ("name", "unit", "initial", "upper", "description", "label", "role")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    unit: str
    initial: float
    upper: float
    description: str
    label: str
    role: StateVariableRole
    def __init__(self, name: _Optional[str] = ..., unit: _Optional[str] = ..., initial: _Optional[float] = ..., upper: _Optional[float] = ..., description: _Optional[str] = ..., label: _Optional[str] = ..., role: _Optional[_Union[StateVariableRole, str]] = ...) -> None: ...

class ParameterSpec(_message.Message):
    __slots__ = ("name", "unit", "default_value", "lower", "upper", "description", "source")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    LOWER_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    unit: str
    default_value: float
    lower: float
    upper: float
    description: str
    source: str
    def __init__(self, name: _Optional[str] = ..., unit: _Optional[str] = ..., default_value: _Optional[float] = ..., lower: _Optional[float] = ..., upper: _Optional[float] = ..., description: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class MechanismSpec(_message.Message):
    __slots__ = ("name", "description", "enabled")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    enabled: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class TherapySpec(_message.Message):
    __slots__ = ("name", "description", "dose_unit", "dose_upper", "parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DOSE_UNIT_FIELD_NUMBER: _ClassVar[int]
    DOSE_UPPER_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    dose_unit: str
    dose_upper: float
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterSpec]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., dose_unit: _Optional[str] = ..., dose_upper: _Optional[float] = ..., parameters: _Optional[_Iterable[_Union[ParameterSpec, _Mapping]]] = ...) -> None: ...

class EnsembleSpec(_message.Message):
    __slots__ = ("scenario", "replicates", "grid", "arms", "control", "branch_day", "knockouts")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    BRANCH_DAY_FIELD_NUMBER: _ClassVar[int]
    KNOCKOUTS_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    replicates: int
    grid: _containers.RepeatedCompositeFieldContainer[GridAxis]
    arms: _containers.RepeatedCompositeFieldContainer[Arm]
    control: str
    branch_day: float
    knockouts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., replicates: _Optional[int] = ..., grid: _Optional[_Iterable[_Union[GridAxis, _Mapping]]] = ..., arms: _Optional[_Iterable[_Union[Arm, _Mapping]]] = ..., control: _Optional[str] = ..., branch_day: _Optional[float] = ..., knockouts: _Optional[_Iterable[str]] = ...) -> None: ...

class GridAxis(_message.Message):
    __slots__ = ("field", "values", "range")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    field: str
    values: _containers.RepeatedScalarFieldContainer[float]
    range: GridRange
    def __init__(self, field: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ..., range: _Optional[_Union[GridRange, _Mapping]] = ...) -> None: ...

class GridRange(_message.Message):
    __slots__ = ("start", "stop", "num", "log")
    START_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    NUM_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    start: float
    stop: float
    num: int
    log: bool
    def __init__(self, start: _Optional[float] = ..., stop: _Optional[float] = ..., num: _Optional[int] = ..., log: _Optional[bool] = ...) -> None: ...

class Arm(_message.Message):
    __slots__ = ("name", "therapies", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    THERAPIES_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    therapies: _containers.RepeatedCompositeFieldContainer[Therapy]
    parameters: _containers.ScalarMap[str, float]
    def __init__(self, name: _Optional[str] = ..., therapies: _Optional[_Iterable[_Union[Therapy, _Mapping]]] = ..., parameters: _Optional[_Mapping[str, float]] = ...) -> None: ...

class EnsembleCell(_message.Message):
    __slots__ = ("point", "arm", "values", "state", "replicates_total", "replicates_done")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    POINT_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_DONE_FIELD_NUMBER: _ClassVar[int]
    point: int
    arm: str
    values: _containers.ScalarMap[str, float]
    state: RunState
    replicates_total: int
    replicates_done: int
    def __init__(self, point: _Optional[int] = ..., arm: _Optional[str] = ..., values: _Optional[_Mapping[str, float]] = ..., state: _Optional[_Union[RunState, str]] = ..., replicates_total: _Optional[int] = ..., replicates_done: _Optional[int] = ...) -> None: ...

class Ensemble(_message.Message):
    __slots__ = ("ensemble_id", "request_id", "state", "spec", "create_time", "update_time", "cells_total", "cells_done", "replicates_total", "replicates_done", "error", "partial", "cells")
    ENSEMBLE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CELLS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CELLS_DONE_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    ensemble_id: str
    request_id: str
    state: RunState
    spec: EnsembleSpec
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    cells_total: int
    cells_done: int
    replicates_total: int
    replicates_done: int
    error: str
    partial: bool
    cells: _containers.RepeatedCompositeFieldContainer[EnsembleCell]
    def __init__(self, ensemble_id: _Optional[str] = ..., request_id: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., spec: _Optional[_Union[EnsembleSpec, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cells_total: _Optional[int] = ..., cells_done: _Optional[int] = ..., replicates_total: _Optional[int] = ..., replicates_done: _Optional[int] = ..., error: _Optional[str] = ..., partial: _Optional[bool] = ..., cells: _Optional[_Iterable[_Union[EnsembleCell, _Mapping]]] = ...) -> None: ...

class CreateEnsembleRequest(_message.Message):
    __slots__ = ("ensemble", "request_id")
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ensemble: EnsembleSpec
    request_id: str
    def __init__(self, ensemble: _Optional[_Union[EnsembleSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateEnsembleResponse(_message.Message):
    __slots__ = ("ensemble",)
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    ensemble: Ensemble
    def __init__(self, ensemble: _Optional[_Union[Ensemble, _Mapping]] = ...) -> None: ...

class GetEnsembleRequest(_message.Message):
    __slots__ = ("ensemble_id",)
    ENSEMBLE_ID_FIELD_NUMBER: _ClassVar[int]
    ensemble_id: str
    def __init__(self, ensemble_id: _Optional[str] = ...) -> None: ...

class GetEnsembleResponse(_message.Message):
    __slots__ = ("ensemble",)
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    ensemble: Ensemble
    def __init__(self, ensemble: _Optional[_Union[Ensemble, _Mapping]] = ...) -> None: ...

class ListEnsemblesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: RunState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ...) -> None: ...

class ListEnsemblesResponse(_message.Message):
    __slots__ = ("ensembles", "next_page_token")
    ENSEMBLES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ensembles: _containers.RepeatedCompositeFieldContainer[Ensemble]
    next_page_token: str
    def __init__(self, ensembles: _Optional[_Iterable[_Union[Ensemble, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelEnsembleRequest(_message.Message):
    __slots__ = ("ensemble_id",)
    ENSEMBLE_ID_FIELD_NUMBER: _ClassVar[int]
    ensemble_id: str
    def __init__(self, ensemble_id: _Optional[str] = ...) -> None: ...

class CancelEnsembleResponse(_message.Message):
    __slots__ = ("ensemble",)
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    ensemble: Ensemble
    def __init__(self, ensemble: _Optional[_Union[Ensemble, _Mapping]] = ...) -> None: ...

class WatchEnsembleRequest(_message.Message):
    __slots__ = ("ensemble_id", "after_sequence")
    ENSEMBLE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ensemble_id: str
    after_sequence: int
    def __init__(self, ensemble_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchEnsembleResponse(_message.Message):
    __slots__ = ("sequence", "ensemble")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    ensemble: Ensemble
    def __init__(self, sequence: _Optional[int] = ..., ensemble: _Optional[_Union[Ensemble, _Mapping]] = ...) -> None: ...

class StreamEnsembleResultsRequest(_message.Message):
    __slots__ = ("ensemble_id", "tables", "format")
    ENSEMBLE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ensemble_id: str
    tables: _containers.RepeatedScalarFieldContainer[EnsembleResultTable]
    format: ResultFormat
    def __init__(self, ensemble_id: _Optional[str] = ..., tables: _Optional[_Iterable[_Union[EnsembleResultTable, str]]] = ..., format: _Optional[_Union[ResultFormat, str]] = ...) -> None: ...

class StreamEnsembleResultsResponse(_message.Message):
    __slots__ = ("table", "arrow_ipc", "rows", "partial", "summary_json", "text")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ARROW_IPC_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_JSON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    table: EnsembleResultTable
    arrow_ipc: bytes
    rows: int
    partial: bool
    summary_json: bytes
    text: str
    def __init__(self, table: _Optional[_Union[EnsembleResultTable, str]] = ..., arrow_ipc: _Optional[bytes] = ..., rows: _Optional[int] = ..., partial: _Optional[bool] = ..., summary_json: _Optional[bytes] = ..., text: _Optional[str] = ...) -> None: ...

class RunSessionRequest(_message.Message):
    __slots__ = ("open", "resume", "act", "checkpoint")
    OPEN_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    ACT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    open: SessionOpen
    resume: SessionResume
    act: SessionAction
    checkpoint: SessionCheckpoint
    def __init__(self, open: _Optional[_Union[SessionOpen, _Mapping]] = ..., resume: _Optional[_Union[SessionResume, _Mapping]] = ..., act: _Optional[_Union[SessionAction, _Mapping]] = ..., checkpoint: _Optional[_Union[SessionCheckpoint, _Mapping]] = ...) -> None: ...

class SessionOpen(_message.Message):
    __slots__ = ("scenario", "replicate", "every_days", "measurement")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    EVERY_DAYS_FIELD_NUMBER: _ClassVar[int]
    MEASUREMENT_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    replicate: int
    every_days: float
    measurement: _session_pb2.MeasurementModel
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., replicate: _Optional[int] = ..., every_days: _Optional[float] = ..., measurement: _Optional[_Union[_session_pb2.MeasurementModel, _Mapping]] = ...) -> None: ...

class SessionResume(_message.Message):
    __slots__ = ("token", "every_days", "measurement")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EVERY_DAYS_FIELD_NUMBER: _ClassVar[int]
    MEASUREMENT_FIELD_NUMBER: _ClassVar[int]
    token: bytes
    every_days: float
    measurement: _session_pb2.MeasurementModel
    def __init__(self, token: _Optional[bytes] = ..., every_days: _Optional[float] = ..., measurement: _Optional[_Union[_session_pb2.MeasurementModel, _Mapping]] = ...) -> None: ...

class SessionAction(_message.Message):
    __slots__ = ("doses",)
    DOSES_FIELD_NUMBER: _ClassVar[int]
    doses: _containers.RepeatedCompositeFieldContainer[Therapy]
    def __init__(self, doses: _Optional[_Iterable[_Union[Therapy, _Mapping]]] = ...) -> None: ...

class SessionCheckpoint(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SessionEnd(_message.Message):
    __slots__ = ("summary", "scenario", "observation")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    summary: ReplicateSummary
    scenario: Scenario
    observation: _session_pb2.Observation
    def __init__(self, summary: _Optional[_Union[ReplicateSummary, _Mapping]] = ..., scenario: _Optional[_Union[Scenario, _Mapping]] = ..., observation: _Optional[_Union[_session_pb2.Observation, _Mapping]] = ...) -> None: ...

class RunSessionResponse(_message.Message):
    __slots__ = ("observation", "token", "refusal", "end")
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    observation: _session_pb2.Observation
    token: _session_pb2.SessionToken
    refusal: _session_pb2.SessionRefusal
    end: SessionEnd
    def __init__(self, observation: _Optional[_Union[_session_pb2.Observation, _Mapping]] = ..., token: _Optional[_Union[_session_pb2.SessionToken, _Mapping]] = ..., refusal: _Optional[_Union[_session_pb2.SessionRefusal, _Mapping]] = ..., end: _Optional[_Union[SessionEnd, _Mapping]] = ...) -> None: ...

class ForkRunRequest(_message.Message):
    __slots__ = ("run_id", "replicate", "day", "arms", "request_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    replicate: int
    day: float
    arms: _containers.RepeatedCompositeFieldContainer[ForkArm]
    request_id: str
    def __init__(self, run_id: _Optional[str] = ..., replicate: _Optional[int] = ..., day: _Optional[float] = ..., arms: _Optional[_Iterable[_Union[ForkArm, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ForkArm(_message.Message):
    __slots__ = ("name", "add_therapies", "stop_therapies", "parameters", "mechanisms", "escape_threshold", "horizon_days")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MechanismsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADD_THERAPIES_FIELD_NUMBER: _ClassVar[int]
    STOP_THERAPIES_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    MECHANISMS_FIELD_NUMBER: _ClassVar[int]
    ESCAPE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    HORIZON_DAYS_FIELD_NUMBER: _ClassVar[int]
    name: str
    add_therapies: _containers.RepeatedCompositeFieldContainer[Therapy]
    stop_therapies: _containers.RepeatedScalarFieldContainer[str]
    parameters: _containers.ScalarMap[str, float]
    mechanisms: _containers.ScalarMap[str, bool]
    escape_threshold: float
    horizon_days: float
    def __init__(self, name: _Optional[str] = ..., add_therapies: _Optional[_Iterable[_Union[Therapy, _Mapping]]] = ..., stop_therapies: _Optional[_Iterable[str]] = ..., parameters: _Optional[_Mapping[str, float]] = ..., mechanisms: _Optional[_Mapping[str, bool]] = ..., escape_threshold: _Optional[float] = ..., horizon_days: _Optional[float] = ...) -> None: ...

class ForkRunResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[Run]
    def __init__(self, runs: _Optional[_Iterable[_Union[Run, _Mapping]]] = ...) -> None: ...

class CalibrationCondition(_message.Message):
    __slots__ = ("condition_id", "parameters", "initial", "therapies")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class InitialEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    CONDITION_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    THERAPIES_FIELD_NUMBER: _ClassVar[int]
    condition_id: str
    parameters: _containers.ScalarMap[str, float]
    initial: _containers.ScalarMap[str, float]
    therapies: _containers.RepeatedCompositeFieldContainer[Therapy]
    def __init__(self, condition_id: _Optional[str] = ..., parameters: _Optional[_Mapping[str, float]] = ..., initial: _Optional[_Mapping[str, float]] = ..., therapies: _Optional[_Iterable[_Union[Therapy, _Mapping]]] = ...) -> None: ...

class CalibrationSpec(_message.Message):
    __slots__ = ("scenario", "priors", "measurements", "conditions", "population", "seed", "stopping", "adaptive_distance", "predictive_draws")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    PRIORS_FIELD_NUMBER: _ClassVar[int]
    MEASUREMENTS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STOPPING_FIELD_NUMBER: _ClassVar[int]
    ADAPTIVE_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    PREDICTIVE_DRAWS_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    priors: _containers.RepeatedCompositeFieldContainer[_fitting_pb2.Prior]
    measurements: _containers.RepeatedCompositeFieldContainer[_fitting_pb2.Measurement]
    conditions: _containers.RepeatedCompositeFieldContainer[CalibrationCondition]
    population: int
    seed: int
    stopping: _fitting_pb2.Stopping
    adaptive_distance: bool
    predictive_draws: int
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., priors: _Optional[_Iterable[_Union[_fitting_pb2.Prior, _Mapping]]] = ..., measurements: _Optional[_Iterable[_Union[_fitting_pb2.Measurement, _Mapping]]] = ..., conditions: _Optional[_Iterable[_Union[CalibrationCondition, _Mapping]]] = ..., population: _Optional[int] = ..., seed: _Optional[int] = ..., stopping: _Optional[_Union[_fitting_pb2.Stopping, _Mapping]] = ..., adaptive_distance: _Optional[bool] = ..., predictive_draws: _Optional[int] = ...) -> None: ...

class SensitivitySpec(_message.Message):
    __slots__ = ("scenario", "method", "samples", "replicates", "seed", "parameters", "quantities")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    REPLICATES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    method: str
    samples: int
    replicates: int
    seed: int
    parameters: _containers.RepeatedCompositeFieldContainer[_fitting_pb2.SensitivityFactor]
    quantities: _containers.RepeatedCompositeFieldContainer[_fitting_pb2.OutcomeQuantity]
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ..., method: _Optional[str] = ..., samples: _Optional[int] = ..., replicates: _Optional[int] = ..., seed: _Optional[int] = ..., parameters: _Optional[_Iterable[_Union[_fitting_pb2.SensitivityFactor, _Mapping]]] = ..., quantities: _Optional[_Iterable[_Union[_fitting_pb2.OutcomeQuantity, _Mapping]]] = ...) -> None: ...

class AnalysisSpec(_message.Message):
    __slots__ = ("calibration", "sensitivity")
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    calibration: CalibrationSpec
    sensitivity: SensitivitySpec
    def __init__(self, calibration: _Optional[_Union[CalibrationSpec, _Mapping]] = ..., sensitivity: _Optional[_Union[SensitivitySpec, _Mapping]] = ...) -> None: ...

class Analysis(_message.Message):
    __slots__ = ("analysis_id", "request_id", "state", "spec", "create_time", "update_time", "error", "generations_done", "evaluations_done", "evaluations_total")
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    GENERATIONS_DONE_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_DONE_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    request_id: str
    state: RunState
    spec: AnalysisSpec
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    error: str
    generations_done: int
    evaluations_done: int
    evaluations_total: int
    def __init__(self, analysis_id: _Optional[str] = ..., request_id: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., spec: _Optional[_Union[AnalysisSpec, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ..., generations_done: _Optional[int] = ..., evaluations_done: _Optional[int] = ..., evaluations_total: _Optional[int] = ...) -> None: ...

class CreateAnalysisRequest(_message.Message):
    __slots__ = ("analysis", "request_id")
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    analysis: AnalysisSpec
    request_id: str
    def __init__(self, analysis: _Optional[_Union[AnalysisSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAnalysisResponse(_message.Message):
    __slots__ = ("analysis",)
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    analysis: Analysis
    def __init__(self, analysis: _Optional[_Union[Analysis, _Mapping]] = ...) -> None: ...

class GetAnalysisRequest(_message.Message):
    __slots__ = ("analysis_id",)
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    def __init__(self, analysis_id: _Optional[str] = ...) -> None: ...

class GetAnalysisResponse(_message.Message):
    __slots__ = ("analysis",)
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    analysis: Analysis
    def __init__(self, analysis: _Optional[_Union[Analysis, _Mapping]] = ...) -> None: ...

class ListAnalysesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: RunState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ...) -> None: ...

class ListAnalysesResponse(_message.Message):
    __slots__ = ("analyses", "next_page_token")
    ANALYSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    analyses: _containers.RepeatedCompositeFieldContainer[Analysis]
    next_page_token: str
    def __init__(self, analyses: _Optional[_Iterable[_Union[Analysis, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelAnalysisRequest(_message.Message):
    __slots__ = ("analysis_id",)
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    def __init__(self, analysis_id: _Optional[str] = ...) -> None: ...

class CancelAnalysisResponse(_message.Message):
    __slots__ = ("analysis",)
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    analysis: Analysis
    def __init__(self, analysis: _Optional[_Union[Analysis, _Mapping]] = ...) -> None: ...

class WatchAnalysisRequest(_message.Message):
    __slots__ = ("analysis_id", "after_sequence")
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    after_sequence: int
    def __init__(self, analysis_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchAnalysisResponse(_message.Message):
    __slots__ = ("sequence", "analysis")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    analysis: Analysis
    def __init__(self, sequence: _Optional[int] = ..., analysis: _Optional[_Union[Analysis, _Mapping]] = ...) -> None: ...

class StreamAnalysisResultsRequest(_message.Message):
    __slots__ = ("analysis_id", "tables", "format")
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    tables: _containers.RepeatedScalarFieldContainer[AnalysisResultTable]
    format: ResultFormat
    def __init__(self, analysis_id: _Optional[str] = ..., tables: _Optional[_Iterable[_Union[AnalysisResultTable, str]]] = ..., format: _Optional[_Union[ResultFormat, str]] = ...) -> None: ...

class StreamAnalysisResultsResponse(_message.Message):
    __slots__ = ("table", "arrow_ipc", "rows", "summary_json", "text")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ARROW_IPC_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_JSON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    table: AnalysisResultTable
    arrow_ipc: bytes
    rows: int
    summary_json: bytes
    text: str
    def __init__(self, table: _Optional[_Union[AnalysisResultTable, str]] = ..., arrow_ipc: _Optional[bytes] = ..., rows: _Optional[int] = ..., summary_json: _Optional[bytes] = ..., text: _Optional[str] = ...) -> None: ...
