"""The Deep Frequency Filtering operation (paper 004): FFT -> mask -> iFFT, and its ablation
variants (frequency / original domain, instance / task-level, spatial / channel masks)."""
import pytest
import torch

from mmdenoise.models.dff import DeepFrequencyFilter, from_frequency, to_frequency

VARIANTS = [(a, m) for a in ('instance', 'task') for m in ('spatial', 'channel')]


def _input(dtype=torch.float32, shape=(3, 6, 10, 7)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype)


def _saturate(filt: DeepFrequencyFilter) -> None:
    """Make the learned mask output exactly 1.0 in float32 (sigmoid(30))."""
    with torch.no_grad():
        mask = filt.mask
        if hasattr(mask, 'logits'):
            mask.logits.fill_(30.0)
        elif hasattr(mask, 'fc2'):  # channel attention: sigmoid(avg + max branch)
            mask.fc2.weight.zero_()
            mask.fc2.bias.fill_(15.0)
        else:
            mask.conv.weight.zero_()
            mask.conv.bias.fill_(30.0)


@pytest.mark.parametrize('domain', ['frequency', 'spatial'])
def test_all_ones_mask_is_the_identity(domain):
    """FFT, multiplication by ones, inverse FFT gives the input back (odd and even sizes)."""
    filt = DeepFrequencyFilter(6, domain=domain, transform=False).eval()
    for shape in ((3, 6, 10, 7), (2, 6, 8, 8)):
        x = _input(shape=shape)
        h, w = shape[-2:]
        ones = torch.ones(1, 1, h, w // 2 + 1 if domain == 'frequency' else w)
        torch.testing.assert_close(filt(x, mask=ones), x, rtol=0, atol=1e-5)
    # the round trip itself, in float64
    x64 = _input(torch.float64)
    torch.testing.assert_close(from_frequency(to_frequency(x64), (10, 7), x64.dtype), x64,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize('domain', ['frequency', 'spatial'])
@pytest.mark.parametrize('adaptivity,attention', VARIANTS)
def test_learned_mask_of_ones_is_the_identity(domain, adaptivity, attention):
    """Each mask generator, saturated to 1, leaves the map unchanged (no transform)."""
    filt = DeepFrequencyFilter(6, domain=domain, transform=False, adaptivity=adaptivity,
                               attention=attention, kernel_size=3).eval()
    _saturate(filt)
    x = _input()
    torch.testing.assert_close(filt(x), x, rtol=0, atol=1e-5)
    # an unsaturated mask filters
    with torch.no_grad():
        for p in filt.mask.parameters():
            p.normal_(generator=torch.Generator().manual_seed(1))
    assert (filt(x) - x).abs().max() > 1e-2


def test_mask_acts_on_frequencies():
    """Keeping only the zero frequency leaves each channel's spatial mean (ortho FFT)."""
    filt = DeepFrequencyFilter(6, transform=False, adaptivity=None)
    x = _input(torch.float64)
    dc = torch.zeros(1, 1, 10, 4, dtype=torch.float64)
    dc[..., 0, 0] = 1
    torch.testing.assert_close(filt(x, mask=dc), x.mean((2, 3), keepdim=True).expand_as(x))
    # half a mask on every frequency halves the map (linearity)
    torch.testing.assert_close(filt(x, mask=torch.full_like(dc, 0.5)), x / 2)


@pytest.mark.parametrize('domain', ['frequency', 'spatial'])
@pytest.mark.parametrize('adaptivity,attention', VARIANTS)
def test_mask_shape_and_range(domain, adaptivity, attention):
    torch.manual_seed(0)
    filt = DeepFrequencyFilter(6, domain=domain, adaptivity=adaptivity, attention=attention,
                               reduction=1, task_mask_size=(5, 3)).train()
    x = _input()
    z = filt.relu(filt.bn(filt.conv(filt.to_representation(x))))
    mask = filt.compute_mask(z)
    grid = (10, 4) if domain == 'frequency' else (10, 7)
    batch = 3 if adaptivity == 'instance' else 1
    expected = (batch, 1, *grid) if attention == 'spatial' else (batch, 6, 1, 1)
    assert tuple(mask.shape) == expected
    assert bool(((mask > 0) & (mask < 1)).all())
    if adaptivity == 'instance':  # instance-adaptive: each sample gets its own mask
        assert (mask[0] - mask[1]).abs().max() > 1e-6
    out = filt(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    out.sum().backward()
    assert all(p.grad is not None for p in filt.mask.parameters())


def test_transform_is_the_fourier_unit_when_the_mask_is_one():
    """With phi (FFC's Fourier unit conv-BN-ReLU), an all-ones mask equals the unmasked unit."""
    torch.manual_seed(0)
    dff = DeepFrequencyFilter(6).eval()
    ffc = DeepFrequencyFilter(6, adaptivity=None).eval()
    ffc.load_state_dict({k: v for k, v in dff.state_dict().items() if not k.startswith('mask')})
    x = _input()
    torch.testing.assert_close(dff(x, mask=torch.ones(1, 1, 10, 4)), ffc(x))
    assert (dff(x) - ffc(x)).abs().max() > 1e-3  # the learned mask does filter


def test_half_precision_input_is_transformed_in_float32():
    filt = DeepFrequencyFilter(6, transform=False, adaptivity=None)
    x = _input().to(torch.bfloat16)
    out = filt(x, mask=torch.ones(1, 1, 10, 4))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), x.float(), rtol=0, atol=2e-2)


@pytest.mark.parametrize('kwargs,message', [
    (dict(domain='wavelet'), 'domain must be one of'),
    (dict(adaptivity='global'), 'adaptivity must be one of'),
    (dict(attention='both'), 'attention must be one of'),
    (dict(kernel_size=4), 'positive odd'),
    (dict(adaptivity='task', task_mask_size=(4, )), r'\(height, width\)'),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepFrequencyFilter(6, **kwargs)


def test_wrong_input_is_named():
    filt = DeepFrequencyFilter(6)
    with pytest.raises(ValueError, match=r'expected \(B, 6, H, W\)'):
        filt(torch.randn(2, 5, 8, 8))
    with pytest.raises(RuntimeError, match='no mask'):
        DeepFrequencyFilter(6, adaptivity=None).compute_mask(torch.randn(1, 12, 4, 3))
