"""Train and evaluate a linear model on scikit-learn's diabetes data set.

Loading and cleaning are cached (``cache=True``: the cache version is the hash of the task's source,
so editing a task invalidates its entries); change the hyperparameters and only the split, the
training and the evaluation run again.

    python examples/ml_pipeline.py
    slipstream run examples/ml_pipeline.py training_pipeline --alpha 0.5 --test-size 0.25
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from slipstream import task, workflow

TARGET = "target"


class Splits(NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame


@dataclass
class LinearModel:
    """A fitted linear model, as plain data: it travels between tasks as JSON, not as a pickle."""

    features: list[str]
    coef: list[float]
    intercept: float

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.features].to_numpy() @ np.asarray(self.coef) + self.intercept


@task(cache=True)
def load_data() -> pd.DataFrame:
    """The diabetes data set that ships with scikit-learn: 442 patients, 10 features."""
    return load_diabetes(as_frame=True).frame


@task(cache=True)
def clean(df: pd.DataFrame, clip_sigma: float = 3.0) -> pd.DataFrame:
    """Drop incomplete rows and clip every feature to ``clip_sigma`` standard deviations."""
    df = df.dropna().drop_duplicates()
    features = df.drop(columns=[TARGET])
    mean, std = features.mean(), features.std()
    clipped = features.clip(mean - clip_sigma * std, mean + clip_sigma * std, axis=1)
    return clipped.assign(**{TARGET: df[TARGET]}).reset_index(drop=True)


@task
def split(df: pd.DataFrame, test_size: float, seed: int) -> Splits:
    """Hold out ``test_size`` of the rows for evaluation."""
    train, test = train_test_split(df, test_size=test_size, random_state=seed)
    return Splits(train=train.reset_index(drop=True), test=test.reset_index(drop=True))


@task(retries=2)
def train(train: pd.DataFrame, alpha: float, fit_intercept: bool) -> LinearModel:
    """Fit a ridge regression (linear least squares with an L2 penalty of strength ``alpha``)."""
    X, y = train.drop(columns=[TARGET]), train[TARGET]
    model = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, y)
    return LinearModel(
        features=list(X.columns),
        coef=[float(c) for c in model.coef_],
        intercept=float(model.intercept_),
    )


@task
def evaluate(model: LinearModel, test: pd.DataFrame) -> float:
    """R² of the model on the held-out rows."""
    return float(r2_score(test[TARGET], model.predict(test)))


@workflow
def training_pipeline(
    alpha: float = 0.1, fit_intercept: bool = True, test_size: float = 0.2, seed: int = 42
) -> float:
    """Load, clean, split, train and evaluate; returns the R² on the test split.

    Args:
        alpha: regularization strength of the ridge regression.
        fit_intercept: whether to fit an intercept.
        test_size: fraction of the rows held out for evaluation.
        seed: random seed of the split.
    """
    data = clean(df=load_data())
    splits = split(df=data, test_size=test_size, seed=seed)
    model = train(train=splits.train, alpha=alpha, fit_intercept=fit_intercept)
    return evaluate(model=model, test=splits.test)


if __name__ == "__main__":
    r2 = training_pipeline(alpha=0.1)
    print(f"test R^2: {r2:.3f}")
