"""flytekitplugins-kfpytorch's module path: ``@task(task_config=Elastic(nproc_per_node=N))`` runs
the body in N processes with ``torch.distributed`` initialised (gloo on CPU, NCCL on GPUs); rank 0's
return value is the task's output. ``Elastic(nnodes=M)`` with M above 1 places the ranks on M nodes
of the Ray cluster, under the Ray runner. Needs the ``[pytorch]`` extra (torch)."""

from ._elastic import Elastic

__all__ = ["Elastic"]
