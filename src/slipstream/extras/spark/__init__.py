"""flytekitplugins-spark's task config: ``@task(task_config=Spark(spark_conf=..., hadoop_conf=...))``
runs the body with ``current_context().spark_session``, and ``pyspark.sql.DataFrame`` inputs and
outputs travel as Parquet datasets (pip install 'slipstream[spark]')."""

from ._config import MASTER_ENV, Spark

__all__ = ["MASTER_ENV", "Spark"]
