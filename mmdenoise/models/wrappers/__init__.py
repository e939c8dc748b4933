from .denoiserep import DenoiseRepWrapper

__all__ = ['DenoiseRepWrapper']
