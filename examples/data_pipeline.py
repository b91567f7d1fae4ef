"""A small data pipeline: load a CSV of sales with pandas, filter it, aggregate it by region.

DataFrames travel between tasks as Parquet, typed with their columns: a task that declares the
columns it needs gets exactly those, and a wiring mistake (a missing column) fails when the
workflow is defined, not after the upstream tasks ran.

    python examples/data_pipeline.py
    slipstream run examples/data_pipeline.py sales_report --min-units 3 --product gizmo
    slipstream run examples/data_pipeline.py sales_report --sales examples/data/sales.csv --json
"""

from pathlib import Path
from typing import Annotated, NamedTuple

import pandas as pd

from slipstream import File, kwtypes, task, workflow

SALES_CSV = File(str(Path(__file__).parent / "data" / "sales.csv"))

Sales = Annotated[
    pd.DataFrame,
    kwtypes(date=str, region=str, product=str, units=int, unit_price=float),
]
RegionTotals = Annotated[pd.DataFrame, kwtypes(region=str, units=int, revenue=float)]


class SalesReport(NamedTuple):
    by_region: RegionTotals
    top_region: str
    total_revenue: float


@task
def load_sales(sales: File) -> Sales:
    """Read the CSV with pandas and add nothing but types."""
    df = pd.read_csv(sales)
    return df.astype({"units": "int64", "unit_price": "float64"})


@task
def filter_sales(df: Sales, min_units: int, product: str | None) -> Sales:
    """Keep the orders of at least ``min_units`` units (of one product, if given)."""
    kept = df[df["units"] >= min_units]
    if product is not None:
        kept = kept[kept["product"] == product]
    return kept.reset_index(drop=True)


@task
def totals_by_region(df: Sales) -> RegionTotals:
    """Units and revenue per region, largest revenue first."""
    out = df.assign(revenue=df["units"] * df["unit_price"])
    grouped = out.groupby("region", as_index=False).agg(
        units=("units", "sum"), revenue=("revenue", "sum")
    )
    return grouped.sort_values("revenue", ascending=False).reset_index(drop=True)


@task
def summarize(totals: RegionTotals) -> tuple[str, float]:
    """The best region and the total revenue."""
    if totals.empty:
        return "", 0.0
    return str(totals["region"].iloc[0]), float(totals["revenue"].sum())


@workflow
def sales_report(
    sales: File = SALES_CSV, min_units: int = 2, product: str | None = None
) -> SalesReport:
    """Revenue per region from a CSV of orders.

    Args:
        sales: a CSV with date, region, product, units and unit_price columns.
        min_units: ignore orders smaller than this.
        product: only count this product (all products when not given).
    """
    df = load_sales(sales=sales)
    kept = filter_sales(df=df, min_units=min_units, product=product)
    totals = totals_by_region(df=kept)
    top, revenue = summarize(totals=totals)
    return SalesReport(by_region=totals, top_region=top, total_revenue=revenue)


if __name__ == "__main__":
    report = sales_report(min_units=2)
    print(report.by_region.to_string(index=False))
    print(f"top region: {report.top_region}, total revenue: {report.total_revenue:.2f}")
