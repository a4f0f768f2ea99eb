"""The product-analytics source: persons and groups files → dlt resources `persons`, `groups` (P1–P3).

The user's export of persons (`distinct_id`, `person_id`, `email`, optional properties such as
`company_id`) and groups (`group_type`, `group_key`, `name`) is loaded from CSV or Parquet files named
in config, so dbt can link Stripe customers to persons and groups (DECISIONS.md P1–P3):

    [sources.product_analytics]                      # .dlt/config.toml, or the environment:
    persons_file = "exports/persons.csv"             # SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE
    groups_file = "exports/groups.parquet"           # SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE

The pipeline (`ingestion/pipeline.py`) loads them into dataset `product_analytics`; this module only
reads and checks the files. Each configured file replaces its table on every run (write disposition
`replace`), loaded as one Arrow table (dlt's Arrow fast path: no row-by-row normalization). A file
not configured is not loaded and its table is left as it is; with neither configured nothing runs and dbt reads empty
persons and groups (the staging models tolerate absent tables). Identifier columns are read as text
(an id such as `00123` must not become the number 123); other columns keep the types the file has
(CSV: inferred by Arrow).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

PRODUCT_ANALYTICS_DATASET = "product_analytics"
PRODUCT_ANALYTICS_PIPELINE = "stripe_product_analytics"
PERSONS_TABLE = "persons"
GROUPS_TABLE = "groups"

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


@dataclass(frozen=True)
class TableSpec:
    """Columns of one input table: `required` must be in the file, `optional` are added (null) when
    missing; all of them are text."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def text_columns(self) -> tuple[str, ...]:
        return self.required + self.optional


PERSONS = TableSpec(PERSONS_TABLE, required=("distinct_id", "person_id"), optional=("email",))
GROUPS = TableSpec(GROUPS_TABLE, required=("group_type", "group_key"), optional=("name",))


class InputFileError(ValueError):
    """A persons or groups file is missing, of an unknown format, or lacks a required column."""


# ------------------------------------------------------------------------------------ pure helpers


def file_format(path: str | os.PathLike[str]) -> str:
    """`csv` or `parquet`, from the file name (case-insensitive; compressed CSV allowed)."""
    name = Path(path).name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise InputFileError(
        f"{path}: unknown file type; use CSV ({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})"
    )


def normalize_table(table: pa.Table, spec: TableSpec, source: str = "") -> pa.Table:
    """Check the required columns, cast the identifier columns to text, add missing optional ones.

    Column names are matched after stripping surrounding spaces, case-insensitively (`Distinct_ID ` is
    `distinct_id`); other columns keep their names and types.
    """
    names = [str(n).strip() for n in table.column_names]
    lowered = {n.lower(): i for i, n in reversed(list(enumerate(names)))}
    for column in spec.text_columns:
        if column in lowered:
            names[lowered[column]] = column
    table = table.rename_columns(names)
    where = f"{source}: " if source else ""
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise InputFileError(
            f"{where}the {spec.name} file lacks column(s) {', '.join(missing)} "
            f"(expected {', '.join(spec.required)}; found {', '.join(names) or 'none'})"
        )
    for column in spec.text_columns:
        if column in names:
            index = names.index(column)
            if table.schema.field(index).type != pa.string():
                table = table.set_column(index, column, table.column(index).cast(pa.string()))
        else:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return table


def read_table(path: str | os.PathLike[str], spec: TableSpec, encoding: str = "utf-8") -> pa.Table:
    """Read a CSV (in `encoding`) or Parquet file into Arrow, identifier columns as text (normalize_table).
    A file Arrow cannot read raises `InputFileError` naming the file, the line and what to do."""
    fmt = file_format(path)
    if not Path(path).is_file():
        raise InputFileError(f"{path}: the {spec.name} file does not exist")
    try:
        if fmt == "csv":
            from pyarrow import csv

            read_options = csv.ReadOptions(encoding=encoding)
            # identifiers as text from the start: inference would turn `00123` into 123
            header = _csv_header(path, read_options)
            text = {name: pa.string() for name in header if name.strip().lower() in spec.text_columns}
            table = csv.read_csv(
                path,
                read_options=read_options,
                convert_options=csv.ConvertOptions(column_types=text, strings_can_be_null=True),
            )
        else:
            from pyarrow import parquet

            table = parquet.read_table(path)
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
        problem = csv_problem(path, encoding) if fmt == "csv" else None
        raise InputFileError(f"{path}: the {spec.name} file cannot be read: {problem or exc}") from None
    return normalize_table(table, spec, str(path))


def _csv_header(path: str | os.PathLike[str], read_options: Any) -> list[str]:
    """The CSV's column names as Arrow reads them (first row)."""
    from pyarrow import csv

    reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 16, encoding=read_options.encoding))
    try:
        return list(reader.schema.names)
    finally:
        reader.close()


_ENCODING_SETTING = "set SOURCES__PRODUCT_ANALYTICS__ENCODING"


def csv_problem(path: str | os.PathLike[str], encoding: str = "utf-8") -> str | None:
    """What is wrong with a CSV Arrow refused, as a sentence with the line number and the fix: a
    UTF-16 file, bytes that are not `encoding`, or a row whose field count differs from the header's."""
    import codecs
    import csv

    with pa.input_stream(str(path), compression="detect") as stream:
        raw = stream.read()
    lowered = encoding.replace("_", "-").lower()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not lowered.startswith("utf-16"):
        return f"it is UTF-16 text; save it as UTF-8 (Excel: 'CSV UTF-8') or {_ENCODING_SETTING}=utf-16, then run again"
    lines = raw.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError as exc:
            bad = line[exc.start : exc.start + 1].hex()
            return (
                f"line {number} is not {encoding} (byte 0x{bad} at position {exc.start + 1}); the file is "
                f"probably Latin-1 / Windows-1252: save it as UTF-8 or {_ENCODING_SETTING}=latin-1, then run again"
            )
    rows = csv.reader(raw.decode(encoding, errors="replace").splitlines())
    header = next(rows, None)
    for row in rows:
        if row and len(row) != len(header or []):
            return (
                f"line {rows.line_num} has {len(row)} fields where the header has {len(header or [])}; "
                "quote values that contain commas (or fix the row), then run again"
            )
    return None


# ----------------------------------------------------------------------------------------- dlt


def _resource(spec: TableSpec, path: str) -> Any:
    import dlt

    @dlt.resource(
        name=spec.name,
        write_disposition="replace",
        columns={c: {"data_type": "text", "nullable": True} for c in spec.text_columns},
    )
    def load() -> Iterator[pa.Table]:
        yield read_table(path, spec, configured_encoding())

    return load


def product_analytics_resources(persons_file: str | None = None, groups_file: str | None = None) -> list[Any]:
    """The dlt resources for the files given (none for a file not given)."""
    resources = []
    if persons_file:
        resources.append(_resource(PERSONS, str(persons_file)))
    if groups_file:
        resources.append(_resource(GROUPS, str(groups_file)))
    return resources


def configured_files(persons_file: str | None = None, groups_file: str | None = None) -> tuple[str | None, str | None]:
    """The arguments, else `sources.product_analytics.persons_file` / `groups_file` from dlt config
    (environment `SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE`, or `.dlt/config.toml`)."""
    import dlt

    def lookup(key: str) -> str | None:
        value = dlt.config.get(f"sources.product_analytics.{key}")
        return str(value) if value not in (None, "") else None

    return persons_file or lookup("persons_file"), groups_file or lookup("groups_file")


def configured_encoding() -> str:
    """The text encoding of CSV files: `sources.product_analytics.encoding` (default UTF-8)."""
    import dlt

    value = dlt.config.get("sources.product_analytics.encoding")
    return str(value) if value not in (None, "") else "utf-8"


def check_files(persons_file: str | None, groups_file: str | None) -> None:
    """Each file given exists and has a known format: checked before anything is written."""
    for path, spec in ((persons_file, PERSONS), (groups_file, GROUPS)):
        if path:
            file_format(path)
            if not Path(path).is_file():
                raise InputFileError(f"{path}: the {spec.name} file does not exist")


def input_error(exc: BaseException) -> InputFileError | None:
    """The `InputFileError` behind a failed dlt run (dlt wraps what a resource raised), if any."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InputFileError):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])
    return None


def format_counts(counts: dict[str, int], tables: Sequence[str] = (PERSONS_TABLE, GROUPS_TABLE)) -> str:
    """`36 persons, 11 groups into product_analytics` (only the tables loaded)."""
    parts = [f"{counts[t]} {t}" for t in tables if t in counts]
    return f"{', '.join(parts)} into {PRODUCT_ANALYTICS_DATASET}" if parts else ""
