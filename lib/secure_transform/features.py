"""Per-customer window features for anomaly detection: time since the previous transaction
and transaction velocity in trailing windows.

Everything is one ``select`` of Spark window expressions partitioned by customer and ordered
by the transaction time in epoch microseconds (epoch seconds x 10^6, so sub-second timestamps
stay exact and the ``rangeBetween`` offsets are plain integers). No Python runs per row.

Definitions, for a transaction of customer ``c`` at time ``t`` (the DataFrame is one batch):

* ``time_delta`` (double, seconds): ``t`` minus the time of ``c``'s latest *strictly earlier*
  transaction in the batch. When another transaction of ``c`` has exactly the same timestamp
  (a tie), ``time_delta`` is ``0.0`` for every row of the tie, so the value never depends on an
  arbitrary order among tied rows. A customer's first transaction in the batch has no previous
  transaction: ``time_delta`` is null, and the anomaly model imputes it (training median, see
  ``docs/ANOMALY.md``). Rows with a null customer or timestamp get null features too.
* ``velocity_<w>`` (long): the number of ``c``'s transactions with a time in ``(t - w, t]``,
  the current one and its ties included, so the minimum is 1. ``velocity`` repeats the
  configured window (``velocity_1h`` by default).

Batch boundary: features see only the rows of the batch (plus ``history_df`` when given).
Without history, a customer's first transaction in a batch gets a null ``time_delta`` and the
velocities of transactions within ``w`` of the batch start undercount the customer's true
activity. To make the features exact across the boundary, pass the previous batch's last
``max(w)`` of transactions as ``history_df``: those rows count as history only and are not
returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from .errors import ConfigError, SchemaError

__all__ = [
    "VelocityWindow",
    "DEFAULT_VELOCITY_WINDOWS",
    "parse_velocity_window",
    "customer_feature_names",
    "customer_feature_definitions",
    "with_customer_features",
    "derived_feature_columns",
]

_MICROS = 1_000_000
_MAX_WINDOW_SECONDS = 366 * 86400
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_HISTORY_MARK = "__secure_transform_history"
_MICROS_COLUMN = "__secure_transform_event_micros"


@dataclass(frozen=True)
class VelocityWindow:
    """A trailing window of ``seconds``; its column is ``velocity_<label>``."""

    seconds: int

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int) or isinstance(self.seconds, bool) or not 1 <= self.seconds <= _MAX_WINDOW_SECONDS:
            raise ConfigError("--anomaly_config", f"velocity window must be 1 second to 366 days, got {self.seconds!r}")

    @property
    def label(self) -> str:
        """Canonical label: whole hours as ``<n>h``, else whole minutes ``<n>m``, else ``<n>s``."""
        if self.seconds % 3600 == 0:
            return f"{self.seconds // 3600}h"
        if self.seconds % 60 == 0:
            return f"{self.seconds // 60}m"
        return f"{self.seconds}s"

    @property
    def column(self) -> str:
        return f"velocity_{self.label}"


DEFAULT_VELOCITY_WINDOWS = (VelocityWindow(3600), VelocityWindow(86400))


def parse_velocity_window(value: Any, parameter: str = "--anomaly_config") -> VelocityWindow:
    """``"30m"``, ``"1h"``, ``"24h"``, ``"7d"``, ``"90s"`` or an integer number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(parameter, "velocity window must be a duration such as '1h', '30m', '7d' or seconds")
    if isinstance(value, int):
        return VelocityWindow(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ConfigError(parameter, "velocity window must be a duration such as '1h', '30m', '7d' or seconds")
    return VelocityWindow(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class HasVelocityWindows(Protocol):
    """What the feature transform needs from a config (``AnomalyConfig`` has both)."""

    velocity_windows: tuple[VelocityWindow, ...]
    velocity_window: VelocityWindow


def customer_feature_names(config: HasVelocityWindows) -> tuple[str, ...]:
    """The columns :func:`with_customer_features` adds, in order."""
    return ("time_delta", "velocity", *(w.column for w in config.velocity_windows))


def customer_feature_definitions(config: HasVelocityWindows) -> dict[str, str]:
    """A precise definition of every derived column; saved with a model so that a model is
    never applied to a feature of the same name but different meaning."""
    defs = {"time_delta": "seconds since the customer's latest strictly earlier transaction in the batch (ties: 0)"}
    defs["velocity"] = f"transactions of the customer in the trailing {config.velocity_window.seconds}s window"
    for w in config.velocity_windows:
        defs[w.column] = f"transactions of the customer in the trailing {w.seconds}s window"
    return defs


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _event_time(df: Any, column: str) -> Any:
    """The timestamp column as a Spark timestamp (strings are parsed; unparseable -> null)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    field = df.schema[column]
    col = F.col(_quote(column))
    if isinstance(field.dataType, (T.TimestampType, T.TimestampNTZType)):
        return col
    if isinstance(field.dataType, (T.DateType, T.StringType)):
        return F.to_timestamp(col)
    raise SchemaError("input", column, f"must be a timestamp, date or ISO-8601 string for customer features, "
                      f"is {field.dataType.simpleString()}")


def with_customer_features(
    df: Any,
    config: HasVelocityWindows,
    customer_column: str = "customer_id",
    timestamp_column: str = "transaction_ts",
    *,
    history_df: Any = None,
) -> Any:
    """Add ``time_delta``, ``velocity`` and ``velocity_<w>`` for every configured window.

    Columns of those names already in ``df`` are replaced (so a re-run is idempotent); every
    other column and every row is kept. ``history_df`` (optional) holds earlier transactions
    (at least ``customer_column`` and ``timestamp_column``) that count as history but are not
    returned; it must not overlap the batch.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    for name in (customer_column, timestamp_column):
        if name not in df.columns:
            raise SchemaError("input", name, "is required for the customer features (time_delta, velocity) but missing")
    new_columns = customer_feature_names(config)
    keep = [c for c in df.columns if c not in new_columns]

    source_df = df.select(*[F.col(_quote(c)) for c in keep], F.lit(False).alias(_HISTORY_MARK),
                          F.unix_micros(_event_time(df, timestamp_column)).alias(_MICROS_COLUMN))
    if history_df is not None:
        for name in (customer_column, timestamp_column):
            if name not in history_df.columns:
                raise SchemaError("history", name, "is required for the customer features but missing")
        hist = history_df.select(F.col(_quote(customer_column)), F.lit(True).alias(_HISTORY_MARK),
                                 F.unix_micros(_event_time(history_df, timestamp_column)).alias(_MICROS_COLUMN))
        source_df = source_df.unionByName(hist, allowMissingColumns=True)

    micros = F.col(_MICROS_COLUMN)
    customer = F.col(_quote(customer_column))
    valid = customer.isNotNull() & micros.isNotNull()
    by_time = Window.partitionBy(customer).orderBy(micros)

    previous = F.max(micros).over(by_time.rangeBetween(Window.unboundedPreceding, -1))
    tied = F.count(micros).over(by_time.rangeBetween(0, 0)) > 1
    time_delta = F.when(tied, F.lit(0.0)).otherwise((micros - previous) / F.lit(float(_MICROS)))

    def velocity(window: VelocityWindow) -> Any:
        # (t - w, t] on integer microseconds: the lower bound is t - w + 1us.
        frame = by_time.rangeBetween(-(window.seconds * _MICROS - 1), 0)
        return F.count(micros).over(frame)

    def null_unless_valid(expr: Any, dtype: str) -> Any:
        return F.when(valid, expr).otherwise(F.lit(None)).cast(dtype)

    windows = [null_unless_valid(velocity(w), "long").alias(w.column) for w in config.velocity_windows]
    out_df = source_df.select(*[F.col(_quote(c)) for c in keep], F.col(_HISTORY_MARK),
                              null_unless_valid(time_delta, "double").alias("time_delta"), *windows)
    # `velocity` repeats one window column (a second window expression would be computed twice)
    out_df = out_df.select(*[F.col(_quote(c)) for c in keep], F.col(_HISTORY_MARK), "time_delta",
                           F.col(config.velocity_window.column).alias("velocity"),
                           *[w.column for w in config.velocity_windows])
    if history_df is not None:
        out_df = out_df.where(~F.col(_HISTORY_MARK))  # drops only the history rows added above
    return out_df.drop(_HISTORY_MARK)


def derived_feature_columns(features: Iterable[str], config: HasVelocityWindows) -> tuple[str, ...]:
    """The subset of ``features`` that :func:`with_customer_features` computes."""
    names = set(customer_feature_names(config))
    return tuple(f for f in features if f in names)
