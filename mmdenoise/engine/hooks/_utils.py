from mmengine.model import is_model_wrapper


def unwrap_denoiserep(runner, hook_name: str):
    """The runner's DenoiseRepWrapper (under DDP too), or a clear error."""
    from mmdenoise.models import DenoiseRepWrapper
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not isinstance(model, DenoiseRepWrapper):
        raise TypeError(f'{hook_name} needs a model of type mmdenoise.DenoiseRepWrapper, got '
                        f'{type(model).__name__}; wrap the task model in the config')
    return model
