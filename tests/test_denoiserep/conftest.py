import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread(request):
    """One thread: tiny tensors gain nothing from OpenMP, and a shared CPU is used better."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
