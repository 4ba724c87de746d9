import { fileTypeOf } from '../../src/pinning/file-types.js';

describe('file-types', () => {
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['build/Dockerfile', 'dockerfile'],
    ['dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['Dockerfile.dev', 'dockerfile'],
    ['Containerfile.arm64', 'dockerfile'],
    ['api.Dockerfile', 'dockerfile'],
    ['worker.containerfile', 'dockerfile'],
    ['Dockerfile.dockerignore', 'kubernetes'],
    ['api.Dockerfile.dockerignore', 'kubernetes'],
    ['Containerfile.containerignore', 'kubernetes'],
    ['MyDockerfile', 'kubernetes'],
    ['.Dockerfile', 'kubernetes'],
    ['compose.yaml', 'compose'],
    ['compose.yml', 'compose'],
    ['docker-compose.yaml', 'compose'],
    ['dev/docker-compose.yml', 'compose'],
    ['compose.override.yaml', 'compose'],
    ['docker-compose.prod.yml', 'compose'],
    ['compose.json', 'kubernetes'],
    ['Compose.yaml', 'kubernetes'],
    ['my-compose.yaml', 'kubernetes'],
    ['compose.a.b.yaml', 'kubernetes'],
    ['deployment.yaml', 'kubernetes'],
    ['-', 'kubernetes'],
  ])('reads %s as %s', (path, type) => {
    expect(fileTypeOf(path)).toBe(type);
  });
});
