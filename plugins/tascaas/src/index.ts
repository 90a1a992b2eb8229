// The @serverless-continuum/tascaas plugin class: registers nothing yet (filled by its issue).
import {
  pluginUtils,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessLike,
} from '@serverless-continuum/core';

class TascaasPlugin {
  readonly hooks: Record<string, () => unknown> = {};
  private readonly utils: PluginUtils;

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: Record<string, unknown> = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
  }
}

export = TascaasPlugin;
