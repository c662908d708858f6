export { MasterDataModule } from './master-data.module';
export { MasterDataLookup } from './master-data.lookup';
export { MasterDataService, type PutResult } from './master-data.service';
export * from './master-data.dto';
