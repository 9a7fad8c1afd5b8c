/** Every command id in one place; package.json `contributes.commands` must list the same. */
export const CommandIds = {
  openModel: 'paramscope.openModel',
  refreshModels: 'paramscope.refreshModels',
  showParameter: 'paramscope.showParameter',
  copyAccessPath: 'paramscope.copyAccessPath',
  copyStateDictKey: 'paramscope.copyStateDictKey',
  showOverview: 'paramscope.showOverview',
  showInitReport: 'paramscope.showInitReport',
  showTiedParameters: 'paramscope.showTiedParameters',
  revealTiedTwin: 'paramscope.revealTiedTwin',
  bindVariable: 'paramscope.bindVariable',
  revealParameter: 'paramscope.revealParameter',
  findParameter: 'paramscope.findParameter',
  exportSummary: 'paramscope.exportSummary',
  compareModels: 'paramscope.compareModels',
  convertToSafetensors: 'paramscope.convertToSafetensors',
  showTrainingRun: 'paramscope.showTrainingRun',
} as const;
