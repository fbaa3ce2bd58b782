import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions, openDatabase } from './data-source.js';
import { ChangeFeed } from './change-feed.js';
import { DirectoryDatabases, PRODUCTION_DATABASE_URL } from './directory-databases.js';

/** The production database (control + directory schema), migrated at start under an advisory lock; training databases beside it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => dataSourceOptions(url, 'control', config.env.DATABASE_POOL_SIZE),
          dataSourceFactory: async (options) => openDatabase(url, 'control', (options as { extra?: { max?: number } }).extra?.max),
        }),
      ],
      providers: [DirectoryDatabases, ChangeFeed, { provide: PRODUCTION_DATABASE_URL, useValue: url }],
      exports: [DirectoryDatabases, ChangeFeed],
    };
  }
}
